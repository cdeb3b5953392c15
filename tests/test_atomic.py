import pytest

from sim.atomic import atomic_directory, atomic_write_text


def test_new_folder_appears_whole(tmp_path):
    target = tmp_path / "out" / "run"
    with atomic_directory(target) as temp:
        (temp / "a.csv").write_text("1")
        assert not target.exists()
    assert (target / "a.csv").read_text() == "1"
    assert sorted(p.name for p in target.parent.iterdir()) == ["run"]


def test_failure_leaves_the_old_folder_untouched(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "monthly.csv").write_text("old")
    with pytest.raises(RuntimeError), atomic_directory(target) as temp:
        (temp / "monthly.csv").write_text("new")
        raise RuntimeError("disk full")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
    assert (target / "monthly.csv").read_text() == "old"


def test_success_replaces_the_old_folder(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "stale.csv").write_text("old")
    with atomic_directory(target) as temp:
        (temp / "monthly.csv").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["monthly.csv"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_atomic_write_text(tmp_path):
    path = atomic_write_text(tmp_path / "sub" / "fit.json", "{}")
    assert path.read_text() == "{}"
    assert [p.name for p in path.parent.iterdir()] == ["fit.json"]
