"""SGD, Adam and a step learning-rate schedule, written with public tensor operations only.

``torch.optim`` imports ``torch._dynamo`` the first time an optimizer is built or stepped, which
adds more than a second to the start of every training process; the many short processes that
train small networks here use these classes instead. Each one performs the same floating-point
operations, in the same order, as torch's single-tensor (``foreach=False``) CPU path of
``torch.optim.SGD``, ``torch.optim.Adam`` and ``torch.optim.lr_scheduler.MultiStepLR``, so its
results match theirs bit for bit.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

import torch


class _Optimizer:
    """One group of parameters, its hyper-parameters, and per-parameter state by index."""

    _cpu_state: frozenset[str] = frozenset()  # state kept on the CPU whatever the parameter's device

    def __init__(self, params: Iterable[torch.Tensor], **hyper) -> None:
        self.param_groups = [{"params": list(params), **hyper}]
        self.state: dict[int, dict[str, torch.Tensor]] = {}

    def _with_grad(self):
        """(index, parameter, gradient) of each parameter that has a gradient, in order."""
        return [(i, p, p.grad) for i, p in enumerate(self.param_groups[0]["params"]) if p.grad is not None]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop the gradients, or zero them in place."""
        for p in self.param_groups[0]["params"]:
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if p.grad.grad_fn is not None:
                    p.grad.detach_()
                else:
                    p.grad.requires_grad_(False)
                p.grad.zero_()

    def state_dict(self) -> dict:
        """The learning rate and a copy of each parameter's state, by parameter index."""
        return {"lr": self.param_groups[0]["lr"],
                "state": {i: {key: value.clone() for key, value in s.items()} for i, s in self.state.items()}}

    def load_state_dict(self, state: dict) -> None:
        """Restore a :meth:`state_dict`, each parameter's state onto that parameter's device."""
        params = self.param_groups[0]["params"]
        self.param_groups[0]["lr"] = state["lr"]
        self.state = {
            i: {key: value.clone() if key in self._cpu_state else value.to(device=params[i].device, dtype=params[i].dtype, copy=True)
                for key, value in s.items()}
            for i, s in state["state"].items()
        }


class SGD(_Optimizer):
    """Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay, as
    ``torch.optim.SGD`` with no dampening."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float, momentum: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False) -> None:
        super().__init__(params, lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=nesterov)

    @torch.no_grad()
    def step(self) -> None:
        """Update every parameter that has a gradient; the others, and their state, stay as they are."""
        group = self.param_groups[0]
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        for i, param, grad in self._with_grad():
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            if momentum != 0:
                state = self.state.setdefault(i, {})
                buf = state.get("momentum_buffer")
                if buf is None:
                    buf = state["momentum_buffer"] = grad.detach().clone()
                else:
                    buf.mul_(momentum).add_(grad)
                grad = grad.add(buf, alpha=momentum) if group["nesterov"] else buf
            param.add_(grad, alpha=-lr)


class Adam(_Optimizer):
    """Adam with L2 weight decay added to the gradient, as ``torch.optim.Adam`` (no AMSGrad)."""

    _cpu_state = frozenset({"step"})

    def __init__(self, params: Iterable[torch.Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    @torch.no_grad()
    def step(self) -> None:
        """Update every parameter that has a gradient; the others, and their state, stay as they are."""
        group = self.param_groups[0]
        lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        for i, param, grad in self._with_grad():
            if i not in self.state:
                self.state[i] = {"step": torch.tensor(0.0, dtype=torch.float32),
                                 "exp_avg": torch.zeros_like(param, memory_format=torch.preserve_format),
                                 "exp_avg_sq": torch.zeros_like(param, memory_format=torch.preserve_format)}
            state = self.state[i]
            exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
            state["step"] += 1
            if weight_decay != 0:
                grad = grad.add(param, alpha=weight_decay)
            exp_avg.lerp_(grad, 1 - beta1)
            exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            step = state["step"].item()
            step_size = lr / (1 - beta1**step)
            bias_correction2_sqrt = (1 - beta2**step) ** 0.5
            denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
            param.addcdiv_(exp_avg, denom, value=-step_size)


class StepSchedule:
    """The learning rate multiplied by ``gamma`` at each of ``milestones`` (counted in calls of
    :meth:`step`, once per optimisation step), as ``torch.optim.lr_scheduler.MultiStepLR``: a
    milestone listed n times multiplies it by ``gamma ** n``."""

    def __init__(self, optimizer: _Optimizer, milestones: list[int], gamma: float = 0.1) -> None:
        self.optimizer = optimizer
        self.milestones = Counter(milestones)
        self.gamma = gamma
        self.last_epoch = -1
        self.step()  # MultiStepLR's own first step, to epoch 0

    def step(self) -> None:
        """Count one more optimisation step, and decay the learning rate if it is a milestone."""
        self.last_epoch += 1
        if self.last_epoch in self.milestones:
            for group in self.optimizer.param_groups:
                group["lr"] = group["lr"] * self.gamma ** self.milestones[self.last_epoch]

    def state_dict(self) -> dict:
        return {"last_epoch": self.last_epoch}

    def load_state_dict(self, state: dict) -> None:
        self.last_epoch = state["last_epoch"]
