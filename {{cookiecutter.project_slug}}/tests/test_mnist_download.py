"""prepare_data downloads the MNIST files once, from the configured address: here a server on 127.0.0.1."""

import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.data import FILES, MNISTDataModule
from {{ cookiecutter.package_name }}.errors import InputError

from .conftest import write_fake_mnist


@pytest.fixture
def mnist_server(tmp_path: Path) -> Iterator[str]:
    served = tmp_path / "served"
    write_fake_mnist(served, num_train=300, num_test=100)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_prepare_data_downloads_once_and_setup_parses(mnist_server: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "mnist"
    data = MNISTDataModule(data_dir=str(data_dir), url=mnist_server, val_size=100)
    data.prepare_data()
    assert sorted(path.name for path in data_dir.iterdir()) == sorted(FILES.values())

    for path in (tmp_path / "served").iterdir():
        path.unlink()  # a second download would now fail
    data.prepare_data()

    data.setup("fit")
    images, labels = data.splits["train"].tensors
    assert images.shape == (200, 1, 28, 28)
    assert 0.0 <= images.min() <= images.max() <= 1.0
    assert labels.max() < 10
    assert len(data.splits["val"]) == 100


def test_a_failed_download_names_the_address_and_leaves_no_partial_file(mnist_server: str, tmp_path: Path) -> None:
    data = MNISTDataModule(data_dir=str(tmp_path / "mnist"), url=mnist_server + "missing/")
    with pytest.raises(InputError, match=r"could not download http://127\.0\.0\.1:\d+/missing/.*404.*--data\.url=URL"):
        data.prepare_data()
    assert list((tmp_path / "mnist").iterdir()) == []


def test_prepare_data_downloads_a_damaged_file_again(mnist_server: str, tmp_path: Path) -> None:
    data = MNISTDataModule(data_dir=str(tmp_path / "mnist"), url=mnist_server)
    data.prepare_data()
    path = tmp_path / "mnist" / FILES["train_labels"]
    path.write_bytes(path.read_bytes()[:50])  # as an older, interrupted download left it
    data.prepare_data()
    assert path.read_bytes() == (tmp_path / "served" / FILES["train_labels"]).read_bytes()
    assert sorted(file.name for file in path.parent.iterdir()) == sorted(FILES.values())  # no temporary files


def test_a_cut_off_file_is_named(tmp_path: Path) -> None:
    write_fake_mnist(tmp_path / "mnist", num_train=300, num_test=100)
    path = tmp_path / "mnist" / FILES["train_images"]
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(InputError, match=r"train-images-idx3-ubyte\.gz is not a gzipped idx file .*delete it"):
        MNISTDataModule(data_dir=str(tmp_path / "mnist"), val_size=100).setup("fit")
