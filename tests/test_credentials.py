import keyring
import pytest
from keyring.backends import fail

from tests.fakes.keyring_backend import MemoryKeyring
from workstation import cli, credentials


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


FAKE_KEY, FAKE_SECRET = "AKfakekey0123456789ABCDEF", "SKfakesecret0123456789abcdefGHIJ"


def test_keys_set_list_delete_round_trip(memory_keyring, monkeypatch, capsys):
    answers = iter([FAKE_KEY, FAKE_SECRET, ""])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert cli.main(["keys", "set", "binance_testnet"]) == 0
    creds = credentials.load("binance_testnet")
    assert creds.ccxt_config() == {"apiKey": FAKE_KEY, "secret": FAKE_SECRET}
    assert FAKE_SECRET not in repr(creds) and FAKE_SECRET not in repr(creds.secret)
    assert cli.main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert "binance_testnet" in listed and "api_key, secret" in listed and FAKE_SECRET not in listed
    assert cli.main(["keys", "delete", "binance_testnet"]) == 0
    assert credentials.load("binance_testnet").api_key is None


def test_no_backend_is_a_clear_error_never_a_plaintext_fallback(no_keyring, monkeypatch, capsys):
    monkeypatch.delenv("WORKSTATION_ALLOW_ENV_KEYS", raising=False)
    monkeypatch.setenv("WORKSTATION_BINANCE_TESTNET_API_KEY", FAKE_KEY)  # present but not opted in
    with pytest.raises(credentials.CredentialsError, match="Secret Service"):
        credentials.load("binance_testnet")
    monkeypatch.setattr("getpass.getpass", lambda prompt="": FAKE_KEY)
    assert cli.main(["keys", "set", "binance_testnet"]) == 2
    err = capsys.readouterr().err
    assert "WORKSTATION_ALLOW_ENV_KEYS=1" in err and "Traceback" not in err


def test_environment_keys_are_an_explicit_opt_in(no_keyring, monkeypatch, caplog):
    caplog.set_level("WARNING", logger="workstation.credentials")
    monkeypatch.setenv("WORKSTATION_ALLOW_ENV_KEYS", "1")
    monkeypatch.setenv("WORKSTATION_BINANCE_TESTNET_API_KEY", FAKE_KEY)
    monkeypatch.setenv("WORKSTATION_BINANCE_TESTNET_SECRET", FAKE_SECRET)
    creds = credentials.load("binance_testnet")
    assert creds.source == "environment" and creds.api_key == FAKE_KEY
    assert "from the environment" in caplog.text and FAKE_SECRET not in caplog.text


def test_the_copilot_key_is_one_bearer_key(memory_keyring, monkeypatch):
    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt="": prompts.append(prompt) or "sk-fake-llm-key")
    assert cli.main(["keys", "set", "copilot"]) == 0
    assert len(prompts) == 1 and "API key" in prompts[0]
    assert credentials.get_secret("copilot", "api_key") == "sk-fake-llm-key"
