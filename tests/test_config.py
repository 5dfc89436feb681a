from decimal import Decimal as D

import pytest

from workstation import cli
from workstation.config import Config, ConfigError, load, parse


def test_no_config_file_means_paper_with_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKSTATION_CONFIG", raising=False)
    monkeypatch.setattr("workstation.config.config_file", lambda: tmp_path / "absent.toml")
    config = load()
    assert config.paper.enabled and config.venues == ()
    assert config.risk.max_order_notional == D("25000")


def test_example_config_is_valid_and_documents_every_section():
    import pathlib
    example = pathlib.Path(__file__).resolve().parent.parent / "config.example.toml"
    config = load(example)
    assert isinstance(config, Config)
    text = example.read_text()
    for section in ("[workstation]", "[paper]", "[paper.faults]", "[risk]", "[copilot]", "[keys]"):
        assert section in text


@pytest.mark.parametrize(("data", "expected"), [
    ({"risk": {"max_order_notional": 1000.5}}, "risk.max_order_notional: expected a number written as a string"),
    ({"risk": {"max_open_orders": "ten"}}, "risk.max_open_orders: expected a whole number from 1 to 100000, found 'ten'"),
    ({"workstaton": {}}, "workstaton: unknown key; expected one of"),
    ({"paper": {"faults": {"timeouts": 0.1}}}, "paper.faults.timeouts: unknown key"),
    ({"paper": {"faults": {"rate_limit": 2}}}, "paper.faults.rate_limit: expected a number from 0 to 1, found int 2"),
    ({"venues": {"bn": {"exchange": "binance"}}}, "venues.bn.environment: missing"),
    ({"venues": {"bn": {"exchange": "binance", "environment": "prod"}}}, "expected one of testnet, demo, live, found 'prod'"),
    ({"venues": {"bn": {"exchange": "binance", "environment": "live", "secret": "abc"}}}, "workstation keys set"),
    ({"copilot": {"kind": "gpt"}}, "copilot.kind: expected one of rules, llm, off"),
])
def test_bad_config_is_one_clear_line(data, expected):
    with pytest.raises(ConfigError) as err:
        parse(data)
    message = str(err.value)
    assert expected in message
    assert "\n" not in message


def test_cli_reports_a_bad_config_without_a_traceback(tmp_path, capsys):
    bad = tmp_path / "config.toml"
    bad.write_text('[risk]\nmax_order_notional = 1.5\n')
    assert cli.main(["--config", str(bad), "run"]) == 2
    err = capsys.readouterr().err
    assert "config error" in err and str(bad) in err and "risk.max_order_notional" in err
    assert "Traceback" not in err


def test_cli_reports_invalid_toml(tmp_path, capsys):
    bad = tmp_path / "config.toml"
    bad.write_text('[risk\n')
    assert cli.main(["--config", str(bad)]) == 2
    assert "not valid TOML" in capsys.readouterr().err
