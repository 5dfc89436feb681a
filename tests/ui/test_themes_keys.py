"""Theme files, app variables for every theme, and key remapping from the config."""

from __future__ import annotations

from pathlib import Path

from textual.theme import BUILTIN_THEMES

from workstation.config import Config
from workstation.ui.screens.ticket import TicketScreen
from workstation.ui.themes import APP_VARIABLES, OUR_THEMES, load_themes

from .conftest import REPO, make_app, settle

GOOD = '''name = "test-good"
primary = "#336699"
dark = true
[variables]
bid = "#00FF00"
'''


def test_bundled_themes_load_and_define_every_variable():
    themes, failures = load_themes([REPO / "themes"])
    assert failures == []
    names = {t.name for t in themes}
    assert set(OUR_THEMES) <= names
    for theme in themes:
        if theme.name in OUR_THEMES:
            assert set(APP_VARIABLES) <= set(theme.variables), theme.name


def test_bad_theme_files_are_collected_not_raised(tmp_path: Path):
    (tmp_path / "a-good.toml").write_text(GOOD)
    (tmp_path / "b-broken.toml").write_text("name = [unclosed")
    (tmp_path / "c-badcolour.toml").write_text('name = "x"\nprimary = "not-a-colour"\n')
    (tmp_path / "d-unknown.toml").write_text('name = "y"\nprimary = "#fff"\nwibble = 1\n')
    (tmp_path / "e-noname.toml").write_text('primary = "#fff"\n')
    themes, failures = load_themes([tmp_path])
    assert [t.name for t in themes] == ["test-good"]
    assert sorted(f.path.name for f in failures) == ["b-broken.toml", "c-badcolour.toml", "d-unknown.toml",
                                                   "e-noname.toml"]
    assert "not a colour" in str([f for f in failures if f.path.name == "c-badcolour.toml"][0])


async def test_bad_theme_reported_once_and_skipped(paper, tmp_path: Path):
    (tmp_path / "good.toml").write_text(GOOD)
    (tmp_path / "bad.toml").write_text("name = [unclosed")
    (tmp_path / "bad2.toml").write_text('name = "z"\nprimary = "nope"\n')
    app = make_app(paper, theme_dirs=[REPO / "themes", tmp_path])
    notes = []
    app.notify = lambda message, **kw: notes.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert "test-good" in app.available_themes
        assert "z" not in app.available_themes
        theme_notes = [n for n in notes if "theme file" in n]
        assert len(theme_notes) == 1
        assert "bad.toml" in theme_notes[0] and "bad2.toml" in theme_notes[0]


async def test_unknown_theme_falls_back_to_workstation_dark(paper):
    app = make_app(paper, Config(theme="no-such-theme"))
    notes = []
    app.notify = lambda message, **kw: notes.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert app.theme == "workstation-dark"
        assert any("no-such-theme" in n for n in notes)


async def test_builtin_themes_get_default_app_variables(paper):
    before = dict(BUILTIN_THEMES)
    app = make_app(paper)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        for name in ("nord", "textual-light", "gruvbox"):
            app.theme = name
            await pilot.pause()
            variables = app.theme_variables
            for key in APP_VARIABLES:
                assert key in variables, (name, key)
        app.theme = "workstation-light"
        await pilot.pause()
        assert app.theme_variables["bid"].upper() == "#0A7F45"
        await pilot.press("t")
        await pilot.pause()
        assert app.theme != "workstation-light"
    assert dict(BUILTIN_THEMES) == before  # never mutated


def test_tcss_uses_theme_variables_only():
    import re

    tcss = (REPO / "workstation" / "ui" / "app.tcss").read_text()
    declarations = re.findall(r":([^;{}]*);", re.sub(r"/\*.*?\*/", "", tcss, flags=re.S))
    assert declarations
    for value in declarations:
        assert not re.search(r"#[0-9a-fA-F]{3,8}\b", value), f"hex colour in TCSS: {value}"
        assert not re.search(r"\b(red|green|blue|white|black|yellow)\b", value), f"named colour in TCSS: {value}"
    for name in ("rgb(", "hsl("):
        assert name not in tcss


async def test_config_keys_remap_bindings(paper):
    app = make_app(paper, Config(keys={"buy": "f2", "help": "f1"}))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        await pilot.press("b")
        await pilot.pause()
        assert not isinstance(app.screen, TicketScreen), "b no longer opens the ticket"
        await pilot.press("f2")
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.side.value == "buy"
        await pilot.press("escape")
        await pilot.press("f1")
        await pilot.pause()
        from workstation.ui.screens.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)
        from textual.widgets import DataTable

        table = app.screen.query_one(DataTable)
        rows = {str(table.get_row_at(i)[1]): str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert rows["buy"] == "f2" and rows["help"] == "f1" and rows["sell"] == "s"


async def test_unknown_key_ids_are_reported(paper):
    app = make_app(paper, Config(keys={"buyy": "f2"}))
    notes = []
    app.notify = lambda message, **kw: notes.append(message)  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, app)
        assert any("buyy" in n for n in notes)


def test_every_binding_has_an_id():
    from workstation.ui.keys import APP_BINDINGS, MAIN_BINDINGS, PROPOSAL_BINDINGS, TICKET_BINDINGS, DESCRIPTIONS

    ids = [b.id for table in (APP_BINDINGS, MAIN_BINDINGS, PROPOSAL_BINDINGS, TICKET_BINDINGS) for b in table]
    assert all(ids) and len(ids) == len(set(ids))
    assert set(ids) <= set(DESCRIPTIONS)
