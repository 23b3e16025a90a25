"""Local weight caches for tests, as torchvision and timm leave them after a download: a torch hub
cache and a Hugging Face cache in a temporary folder, holding state dicts of untrained models."""

from pathlib import Path

import torch
import torchvision


def torch_hub_cache(monkeypatch, root: Path) -> Path:
    """``torch.hub.get_dir()`` pointed at ``root/hub``; returns its ``checkpoints`` folder."""
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(root / "hub"))
    folder = root / "hub" / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cached_torchvision_weights(monkeypatch, root: Path, arch: str, enum: str, seed: int = 0) -> tuple[torch.nn.Module, Path]:
    """An untrained torchvision ``arch`` (eval mode) whose state dict the torch hub cache under
    ``root`` holds as the file of the weights ``arch.enum``."""
    torch.manual_seed(seed)
    model = torchvision.models.get_model(arch, weights=None).eval()
    url = torchvision.models.get_model_weights(arch)[enum].url
    path = torch_hub_cache(monkeypatch, root) / Path(url).name
    torch.save(model.state_dict(), path)
    return model, path


def hugging_face_cache(monkeypatch, root: Path) -> Path:
    """The Hugging Face cache folder pointed at ``root/huggingface``."""
    import huggingface_hub.constants

    folder = root / "huggingface"
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(folder))
    return folder


def cache_hugging_face_file(cache: Path, repo: str, filename: str, content: bytes) -> Path:
    """``filename`` of the model ``repo`` in the Hugging Face ``cache``, laid out as the hub
    client leaves a download (``models--<org>--<name>/snapshots/<commit>/``, ``refs/main``)."""
    commit = "0" * 40
    folder = cache / f"models--{repo.replace('/', '--')}"
    (folder / "refs").mkdir(parents=True, exist_ok=True)
    (folder / "refs" / "main").write_text(commit)
    path = folder / "snapshots" / commit / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path
