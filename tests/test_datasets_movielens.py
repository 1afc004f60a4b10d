"""MovieLens loader: reading the standard files, the missing-data error and the
checksum-verified download (offline: the archive is served from a local file)."""

import io
import zipfile

import numpy as np
import pytest

from skgd.datasets import _movielens as M
from skgd.datasets import load_movielens

U_DATA = "1\t10\t5\t881250949\n2\t10\t3\t891717742\n1\t20\t4\t878887116\n"


def write_fake(folder):
    folder.mkdir(parents=True)
    (folder / "u.data").write_text(U_DATA)
    for k in range(1, 6):
        (folder / f"u{k}.base").write_text(U_DATA.splitlines(True)[0])
        (folder / f"u{k}.test").write_text("".join(U_DATA.splitlines(True)[1:]))
    (folder / "u.user").write_text("1|24|M|technician|85711\n2|53|F|other|94043\n")
    genres = "|".join(["0"] * 18 + ["1"])
    (folder / "u.item").write_bytes(
        f"10|Caf\xe9 (1995)|01-Jan-1995||http://x|{genres}\n".encode("latin-1")
        + f"20|Jaws (1975)|01-Jan-1975||http://y|{genres}\n".encode("latin-1"))
    (folder / "u.genre").write_text("\n".join(f"g{k}|{k}" for k in range(19)) + "\n")


def test_reads_the_standard_files(tmp_path):
    write_fake(tmp_path / "ml-100k")
    ml = load_movielens(data_home=tmp_path)
    np.testing.assert_array_equal(ml.data, [[1, 10], [2, 10], [1, 20]])
    np.testing.assert_array_equal(ml.target, [5, 3, 4])
    assert len(ml.folds) == 5
    X_train, y_train, X_test, y_test = ml.folds[0]
    assert X_train.shape == (1, 2) and X_test.shape == (2, 2)
    assert ml.item_info.title[0] == "Caf\xe9 (1995)"
    assert ml.item_info.genres.shape == (2, 19) and ml.item_info.genre_names[0] == "g0"
    assert list(ml.user_info.occupation) == ["technician", "other"]


def test_missing_data_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="download_if_missing"):
        load_movielens(data_home=tmp_path)
    monkeypatch.setenv("SKGD_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        load_movielens()
    with pytest.raises(ValueError, match="variant"):
        load_movielens(variant="1b", data_home=tmp_path)


def fake_archive(tmp_path):
    src = tmp_path / "src" / "ml-100k"
    write_fake(src)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for f in src.iterdir():
            z.write(f, f"ml-100k/{f.name}")
    return buf.getvalue()


def test_download_verifies_the_checksum(tmp_path, monkeypatch):
    payload = fake_archive(tmp_path)
    monkeypatch.setattr(M.urllib.request, "urlopen",
                        lambda url, timeout=None: io.BytesIO(payload))
    home = tmp_path / "home"
    with pytest.raises(ValueError, match="Checksum mismatch"):
        load_movielens(data_home=home, download_if_missing=True)
    assert not (home / "ml-100k").exists()
    digest = M.md5(tmp_path / "src" / "ml-100k" / "u.data")
    monkeypatch.setitem(M.CHECKSUMS, "100k", ("u.data", digest))
    ml = load_movielens(data_home=home, download_if_missing=True)
    assert ml.data.shape == (3, 2) and (home / "ml-100k" / "u.data").is_file()


def test_shared_movielens(shared_data):
    if not (shared_data / "ml-100k" / "u.data").is_file():
        pytest.skip("ml-100k not in the shared data")
    assert M.md5(shared_data / "ml-100k" / "u.data") == M.CHECKSUMS["100k"][1]
    ml = load_movielens(data_home=shared_data)
    assert ml.data.shape == (100_000, 2) and len(ml.folds) == 5
    assert sum(f[3].size for f in ml.folds) == 100_000
    assert ml.item_info.title.size == 1682 and ml.user_info.age.size == 943
