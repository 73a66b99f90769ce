"""Sample images that ship inside installed packages (scikit-image's CC0 set)."""

from __future__ import annotations

from pathlib import Path

# name -> file in skimage/data; all CC0 or public domain per scikit-image's data README.
_SKIMAGE = {
    "astronaut (512x512, CC0)": "astronaut.png",
    "coffee (600x400, CC0)": "coffee.png",
    "chelsea the cat (451x300, CC0)": "chelsea.png",
    "rocket (640x427, public domain)": "rocket.jpg",
    "hubble deep field (1000x872, public domain)": "hubble_deep_field.jpg",
    "motorcycle (741x500, CC0)": "motorcycle_left.png",
    "camera (512x512 gray, CC0)": "camera.png",
}


def _folder() -> Path:
    import skimage.data

    return Path(skimage.data.__file__).parent


def sample_names() -> list[str]:
    """Names of the samples present in this install."""
    folder = _folder()
    return [name for name, file in _SKIMAGE.items() if (folder / file).is_file()]


def sample_path(name: str) -> Path:
    from imgcr.errors import UnknownNameError

    if name not in _SKIMAGE or not (_folder() / _SKIMAGE[name]).is_file():
        raise UnknownNameError(f"unknown sample {name!r}")
    return _folder() / _SKIMAGE[name]


def sample_paths() -> list[Path]:
    """All samples present, as files (the Benchmark tab's built-in set)."""
    return [sample_path(n) for n in sample_names()]
