"""The dashboard's worker pool does not run the page script in its workers."""

import sys
import types

from ui import runs


def _main_file() -> str | None:
    return getattr(sys.modules["__main__"], "__file__", None)


def test_spawned_workers_do_not_import_the_page_script(tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(marker)!r}, 'w').write('the page ran in a worker')\n", encoding="utf-8")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)  # as the server does while a page runs
    pool = runs.PersistentPool(1)
    try:
        results = [value for _, value, _ in pool.map_unordered(_main_file_in_worker, [0])]
    finally:
        pool.executor().shutdown(wait=True)
    assert sys.modules["__main__"] is page
    assert not marker.exists()
    assert results == [None]


def _main_file_in_worker(_: int) -> str | None:
    return _main_file()
