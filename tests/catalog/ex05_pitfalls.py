"""ex05_pitfalls: wrong and right answers."""

from catalog import Right, Wrong

DEAD = {"dead_relu_fraction_core", "dead_relu_fraction_edge", "dead_relu_fraction_state"}
CLIP = {"clip_grad_norm_core", "clip_grad_norm_edge"}
STEP = {"step_lr_core", "step_lr_edge"}
EXPONENTIAL = {"exponential_lr_core", "exponential_lr_edge"}
COSINE = {"cosine_lr_core", "cosine_lr_edge"}
STOP = {"should_stop_core", "should_stop_edge"}

# A correct hook-based body; the wrong answers below change one thing in it.
HOOKED = """
def dead_relu_fraction(model, x):
    relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
    outputs = {{}}
    handles = []
    for i, relu in enumerate(relus):
        def hook(module, inputs, output, i=i):
            outputs[i] = output.detach().reshape(output.shape[0], -1)
        handles.append(relu.register_forward_hook(hook))
    {run}
    {cleanup}
    return [{fraction} for i in range(len(relus))]
"""
RUN = "with torch.no_grad():\n        model(x)"
CLEANUP = "for h in handles:\n        h.remove()"
EVERY = "(outputs[i] == 0).all(dim=0).float().mean().item()"


def hooked(run: str = RUN, cleanup: str = CLEANUP, fraction: str = EVERY) -> str:
    return HOOKED.format(run=run, cleanup=cleanup, fraction=fraction)


WRONG = [
    # dead_relu_fraction ---------------------------------------------------------------
    Wrong(
        "dead_relu_fraction: a unit dead on ANY sample instead of every sample",
        {
            "dead_relu_fraction": hooked(
                fraction="(outputs[i] == 0).any(dim=0).float().mean().item()"
            )
        },
        DEAD,
    ),
    Wrong(
        "dead_relu_fraction: NaN counted as dead (not alive = not > 0)",
        {
            "dead_relu_fraction": hooked(
                fraction="(~(outputs[i] > 0).any(dim=0)).float().mean().item()"
            )
        },
        {"dead_relu_fraction_edge"},
    ),
    Wrong(
        "dead_relu_fraction: hooks left registered",
        {"dead_relu_fraction": hooked(cleanup="pass")},
        {"dead_relu_fraction_state"},
    ),
    Wrong(
        "dead_relu_fraction: switches the model to eval mode and not back",
        {
            "dead_relu_fraction": hooked(
                run="model.eval()\n    with torch.no_grad():\n        model(x)"
            )
        },
        {"dead_relu_fraction_state"},
    ),
    Wrong(
        "dead_relu_fraction: eval() then train(), which puts an eval model in train mode",
        {
            "dead_relu_fraction": hooked(
                run="model.eval()\n    with torch.no_grad():\n        model(x)\n    model.train()"
            )
        },
        {"dead_relu_fraction_state"},
    ),
    Wrong(
        "dead_relu_fraction: turns requires_grad off, then on for every parameter",
        {
            "dead_relu_fraction": hooked(
                run="for p in model.parameters():\n        p.requires_grad_(False)\n"
                "    model(x)\n    for p in model.parameters():\n"
                "        p.requires_grad_(True)"
            )
        },
        {"dead_relu_fraction_state"},
    ),
    Wrong(
        "dead_relu_fraction: runs a backward pass and leaves gradients (and fails on a "
        "model without parameters)",
        {"dead_relu_fraction": hooked(run="model(x).sum().backward()")},
        {"dead_relu_fraction_edge", "dead_relu_fraction_state"},
    ),
    Wrong(
        "dead_relu_fraction: counts instead of fractions",
        {"dead_relu_fraction": hooked(fraction="float((outputs[i] == 0).all(dim=0).sum())")},
        DEAD,
    ),
    Wrong(
        "dead_relu_fraction: averages the zeros sample by sample",
        {"dead_relu_fraction": hooked(fraction="(outputs[i] == 0).float().mean().item()")},
        DEAD,
    ),
    Wrong(
        "dead_relu_fraction: units = last dimension only",
        {
            "dead_relu_fraction": """
        def dead_relu_fraction(model, x):
            relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
            outputs = {}
            handles = [r.register_forward_hook(
                lambda m, i, o, k=k: outputs.__setitem__(k, o.detach())) for k, r in
                enumerate(relus)]
            with torch.no_grad():
                model(x)
            for h in handles:
                h.remove()
            result = []
            for k in range(len(relus)):
                out = outputs[k].reshape(-1, outputs[k].shape[-1])
                result.append((out == 0).all(dim=0).float().mean().item())
            return result
        """
        },
        {"dead_relu_fraction_core"},
    ),
    Wrong(
        "dead_relu_fraction: model.children() misses nested ReLUs",
        {
            "dead_relu_fraction": """
        def dead_relu_fraction(model, x):
            relus = [m for m in model.children() if isinstance(m, nn.ReLU)]
            outputs = {}
            handles = [r.register_forward_hook(
                lambda m, i, o, k=k: outputs.__setitem__(k, o.detach())) for k, r in
                enumerate(relus)]
            with torch.no_grad():
                model(x)
            for h in handles:
                h.remove()
            return [(outputs[k].flatten(1) == 0).all(0).float().mean().item()
                    for k in range(len(relus))]
        """
        },
        DEAD,
    ),
    Wrong(
        "dead_relu_fraction: fractions in the order the ReLUs ran",
        {
            "dead_relu_fraction": """
        def dead_relu_fraction(model, x):
            fractions = []

            def hook(module, inputs, output):
                dead = (output.detach().flatten(1) == 0).all(dim=0)
                fractions.append(dead.float().mean().item())

            handles = [m.register_forward_hook(hook) for m in model.modules()
                       if isinstance(m, nn.ReLU)]
            try:
                with torch.no_grad():
                    model(x)
            finally:
                for h in handles:
                    h.remove()
            return fractions
        """
        },
        {"dead_relu_fraction_edge"},
    ),
    Wrong(
        "dead_relu_fraction: counts LeakyReLU too (name contains 'ReLU')",
        {
            "dead_relu_fraction": """
        def dead_relu_fraction(model, x):
            relus = [m for m in model.modules() if "ReLU" in type(m).__name__]
            outputs = {}
            handles = [r.register_forward_hook(
                lambda m, i, o, k=k: outputs.__setitem__(k, o.detach())) for k, r in
                enumerate(relus)]
            with torch.no_grad():
                model(x)
            for h in handles:
                h.remove()
            return [(outputs[k].flatten(1) == 0).all(0).float().mean().item()
                    for k in range(len(relus))]
        """
        },
        {"dead_relu_fraction_edge"},
    ),
    Wrong(
        "dead_relu_fraction: returns a tensor per ReLU",
        {"dead_relu_fraction": hooked(fraction="(outputs[i] == 0).all(dim=0).float().mean()")},
        DEAD,
    ),
    # clip_grad_norm ----------------------------------------------------------------------
    Wrong(
        "clip_grad_norm: returns the norm after clipping",
        {
            "clip_grad_norm": """
        def clip_grad_norm(parameters, max_norm):
            grads = [p.grad for p in parameters if p.grad is not None]
            norm = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads))
            factor = min(1.0, max_norm / (norm + 1e-6))
            for g in grads:
                g.mul_(factor)
            return norm * factor
        """
        },
        CLIP,
    ),
    Wrong(
        "clip_grad_norm: clips each parameter by its own norm",
        {
            "clip_grad_norm": """
        def clip_grad_norm(parameters, max_norm):
            grads = [p.grad for p in parameters if p.grad is not None]
            total = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads))
            for g in grads:
                g.mul_(min(1.0, max_norm / (float(g.double().norm()) + 1e-6)))
            return total
        """
        },
        CLIP,
    ),
    Wrong(
        "clip_grad_norm: forgets the 1e-6",
        {
            "clip_grad_norm": """
        def clip_grad_norm(parameters, max_norm):
            grads = [p.grad for p in parameters if p.grad is not None]
            norm = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads))
            if norm > 0:
                for g in grads:
                    g.mul_(min(1.0, max_norm / norm))
            return norm
        """
        },
        {"clip_grad_norm_edge"},
    ),
    Wrong(
        "clip_grad_norm: scales small gradients up (no min with 1)",
        {
            "clip_grad_norm": """
        def clip_grad_norm(parameters, max_norm):
            grads = [p.grad for p in parameters if p.grad is not None]
            norm = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads))
            for g in grads:
                g.mul_(max_norm / (norm + 1e-6))
            return norm
        """
        },
        {"clip_grad_norm_core"},
    ),
    Wrong(
        "clip_grad_norm: 'if norm > max_norm' skips the scaling at norm == max_norm",
        {
            "clip_grad_norm": """
        def clip_grad_norm(parameters, max_norm):
            grads = [p.grad for p in parameters if p.grad is not None]
            norm = math.sqrt(sum(float((g.double() ** 2).sum()) for g in grads))
            if norm > max_norm:
                for g in grads:
                    g.mul_(max_norm / (norm + 1e-6))
            return norm
        """
        },
        {"clip_grad_norm_edge"},
    ),
    Wrong(
        "clip_grad_norm: iterates a generator twice",
        {
            "clip_grad_norm": """
        def clip_grad_norm(parameters, max_norm):
            norm = math.sqrt(sum(float((p.grad.double() ** 2).sum()) for p in parameters
                                 if p.grad is not None))
            factor = min(1.0, max_norm / (norm + 1e-6))
            for p in parameters:
                if p.grad is not None:
                    p.grad.mul_(factor)
            return norm
        """
        },
        {"clip_grad_norm_core"},
    ),
    Wrong(
        "clip_grad_norm: crashes on a None gradient",
        {
            "clip_grad_norm": """
        def clip_grad_norm(parameters, max_norm):
            params = list(parameters)
            norm = torch.stack([p.grad.norm() for p in params]).norm().item()
            factor = min(1.0, max_norm / (norm + 1e-6))
            for p in params:
                p.grad.mul_(factor)
            return norm
        """
        },
        {"clip_grad_norm_edge"},
    ),
    Wrong(
        "clip_grad_norm: returns a tensor",
        {
            "clip_grad_norm": """
        def clip_grad_norm(parameters, max_norm):
            grads = [p.grad for p in parameters if p.grad is not None]
            norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads) + torch.zeros(()))
            factor = torch.clamp(max_norm / (norm + 1e-6), max=1.0)
            for g in grads:
                g.mul_(factor.item())
            return norm
        """
        },
        CLIP,
    ),
    Wrong(
        "clip_grad_norm: the squared norm",
        {
            "clip_grad_norm": """
        def clip_grad_norm(parameters, max_norm):
            grads = [p.grad for p in parameters if p.grad is not None]
            norm = sum(float((g.double() ** 2).sum()) for g in grads)
            factor = min(1.0, max_norm / (norm + 1e-6))
            for g in grads:
                g.mul_(factor)
            return norm
        """
        },
        CLIP,
    ),
    Wrong(
        "clip_grad_norm: clip_grad_norm_ imported under another name",
        {
            "clip_grad_norm": """
        from torch.nn.utils import clip_grad_norm_ as clip_everything

        def clip_grad_norm(parameters, max_norm):
            return float(clip_everything(parameters, max_norm))
        """
        },
        CLIP,
        status="forbidden",
    ),
    Wrong(
        "clip_grad_norm: torch.nn.utils.get_total_norm",
        {
            "clip_grad_norm": """
        def clip_grad_norm(parameters, max_norm):
            grads = [p.grad for p in parameters if p.grad is not None]
            norm = float(torch.nn.utils.get_total_norm(grads))
            for g in grads:
                g.mul_(min(1.0, max_norm / (norm + 1e-6)))
            return norm
        """
        },
        CLIP,
        status="forbidden",
    ),
    # step_lr --------------------------------------------------------------------------
    Wrong(
        "step_lr: off by one, (epoch + 1) // step_size",
        {
            "step_lr": """
        def step_lr(lr0, epoch, step_size, gamma):
            return lr0 * gamma ** ((epoch + 1) // step_size)
        """
        },
        STEP,
    ),
    Wrong(
        "step_lr: epoch / step_size without floor",
        {
            "step_lr": """
        def step_lr(lr0, epoch, step_size, gamma):
            return lr0 * gamma ** (epoch / step_size)
        """
        },
        STEP,
    ),
    Wrong(
        "step_lr: decays every epoch",
        {
            "step_lr": """
        def step_lr(lr0, epoch, step_size, gamma):
            return lr0 * gamma ** epoch
        """
        },
        STEP,
    ),
    Wrong(
        "step_lr: gamma times the number of decays",
        {
            "step_lr": """
        def step_lr(lr0, epoch, step_size, gamma):
            k = epoch // step_size
            return lr0 * gamma * k if k else lr0
        """
        },
        STEP,
    ),
    Wrong(
        "step_lr: runs torch's StepLR",
        {
            "step_lr": """
        from torch.optim.lr_scheduler import StepLR

        def step_lr(lr0, epoch, step_size, gamma):
            opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
            sched = StepLR(opt, step_size, gamma)
            for _ in range(epoch):
                opt.step()
                sched.step()
            return opt.param_groups[0]["lr"]
        """
        },
        STEP,
        status="forbidden",
    ),
    # exponential_lr ---------------------------------------------------------------------
    Wrong(
        "exponential_lr: gamma ** (epoch + 1)",
        {
            "exponential_lr": """
        def exponential_lr(lr0, epoch, gamma):
            return lr0 * gamma ** (epoch + 1)
        """
        },
        EXPONENTIAL,
    ),
    Wrong(
        "exponential_lr: exp(-gamma * epoch)",
        {
            "exponential_lr": """
        def exponential_lr(lr0, epoch, gamma):
            return lr0 * math.exp(-gamma * epoch)
        """
        },
        EXPONENTIAL,
    ),
    Wrong(
        "exponential_lr: computed in float32 tensors",
        {
            "exponential_lr": """
        def exponential_lr(lr0, epoch, gamma):
            return (torch.tensor(lr0) * torch.tensor(gamma) ** epoch).item()
        """
        },
        EXPONENTIAL,
    ),
    Wrong(
        "exponential_lr: returns a tensor",
        {
            "exponential_lr": """
        def exponential_lr(lr0, epoch, gamma):
            return torch.tensor(lr0, dtype=torch.float64) * gamma ** epoch
        """
        },
        EXPONENTIAL,
    ),
    Wrong(
        "exponential_lr: runs torch's ExponentialLR",
        {
            "exponential_lr": """
        def exponential_lr(lr0, epoch, gamma):
            opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
            sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma)
            for _ in range(epoch):
                opt.step()
                sched.step()
            return sched.get_last_lr()[0]
        """
        },
        EXPONENTIAL,
        status="forbidden",
    ),
    # cosine_lr ------------------------------------------------------------------------
    Wrong(
        "cosine_lr: divides by t_max - 1",
        {
            "cosine_lr": """
        def cosine_lr(lr0, epoch, t_max, eta_min=0.0):
            return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * epoch / (t_max - 1))) / 2
        """
        },
        COSINE,
    ),
    Wrong(
        "cosine_lr: sin instead of cos",
        {
            "cosine_lr": """
        def cosine_lr(lr0, epoch, t_max, eta_min=0.0):
            return eta_min + (lr0 - eta_min) * (1 + math.sin(math.pi * epoch / t_max)) / 2
        """
        },
        COSINE,
    ),
    Wrong(
        "cosine_lr: 1 - cos",
        {
            "cosine_lr": """
        def cosine_lr(lr0, epoch, t_max, eta_min=0.0):
            return eta_min + (lr0 - eta_min) * (1 - math.cos(math.pi * epoch / t_max)) / 2
        """
        },
        COSINE,
    ),
    Wrong(
        "cosine_lr: ignores eta_min",
        {
            "cosine_lr": """
        def cosine_lr(lr0, epoch, t_max, eta_min=0.0):
            return lr0 * (1 + math.cos(math.pi * epoch / t_max)) / 2
        """
        },
        {"cosine_lr_edge"},
    ),
    Wrong(
        "cosine_lr: scales by lr0 instead of lr0 - eta_min",
        {
            "cosine_lr": """
        def cosine_lr(lr0, epoch, t_max, eta_min=0.0):
            return eta_min + lr0 * (1 + math.cos(math.pi * epoch / t_max)) / 2
        """
        },
        {"cosine_lr_edge"},
    ),
    Wrong(
        "cosine_lr: holds eta_min after t_max",
        {
            "cosine_lr": """
        def cosine_lr(lr0, epoch, t_max, eta_min=0.0):
            epoch = min(epoch, t_max)
            return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * epoch / t_max)) / 2
        """
        },
        {"cosine_lr_edge"},
    ),
    Wrong(
        "cosine_lr: runs torch's CosineAnnealingLR",
        {
            "cosine_lr": """
        from torch.optim import lr_scheduler as schedulers

        def cosine_lr(lr0, epoch, t_max, eta_min=0.0):
            opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr0)
            sched = schedulers.CosineAnnealingLR(opt, t_max, eta_min)
            for _ in range(epoch):
                opt.step()
                sched.step()
            return opt.param_groups[0]["lr"]
        """
        },
        COSINE,
        status="forbidden",
    ),
    # should_stop ----------------------------------------------------------------------
    Wrong(
        "should_stop: > instead of >=",
        {
            "should_stop": """
        def should_stop(val_losses, patience, min_delta=0.0):
            if len(val_losses) <= patience:
                return False
            return min(val_losses[-patience:]) > min(val_losses[:-patience]) - min_delta
        """
        },
        {"should_stop_edge"},
    ),
    Wrong(
        "should_stop: ignores min_delta",
        {
            "should_stop": """
        def should_stop(val_losses, patience, min_delta=0.0):
            if len(val_losses) <= patience:
                return False
            return min(val_losses[-patience:]) >= min(val_losses[:-patience])
        """
        },
        {"should_stop_edge"},
    ),
    Wrong(
        "should_stop: True when len(val_losses) == patience",
        {
            "should_stop": """
        def should_stop(val_losses, patience, min_delta=0.0):
            if len(val_losses) < patience:
                return False
            recent = val_losses[-patience:]
            earlier = val_losses[:-patience] or recent
            return min(recent) >= min(earlier) - min_delta
        """
        },
        STOP,
    ),
    Wrong(
        "should_stop: compares the last loss only",
        {
            "should_stop": """
        def should_stop(val_losses, patience, min_delta=0.0):
            if len(val_losses) <= patience:
                return False
            return val_losses[-1] >= min(val_losses[:-patience]) - min_delta
        """
        },
        STOP,
    ),
    Wrong(
        "should_stop: compares with the loss just before the window",
        {
            "should_stop": """
        def should_stop(val_losses, patience, min_delta=0.0):
            if len(val_losses) <= patience:
                return False
            return min(val_losses[-patience:]) >= val_losses[-patience - 1] - min_delta
        """
        },
        STOP,
    ),
    Wrong(
        "should_stop: returns numpy.bool_",
        {
            "should_stop": """
        def should_stop(val_losses, patience, min_delta=0.0):
            if len(val_losses) <= patience:
                return False
            losses = np.asarray(val_losses)
            return losses[-patience:].min() >= losses[:-patience].min() - min_delta
        """
        },
        {"should_stop_edge"},
    ),
    Wrong(
        "should_stop: a patience counter that only moves the best on big improvements",
        {
            "should_stop": """
        def should_stop(val_losses, patience, min_delta=0.0):
            best, wait = math.inf, 0
            for loss in val_losses:
                if loss < best - min_delta:
                    best, wait = loss, 0
                else:
                    wait += 1
            return wait >= patience
        """
        },
        {"should_stop_edge"},
    ),
    Wrong(
        "should_stop: pops the recent losses off the list",
        {
            "should_stop": """
        def should_stop(val_losses, patience, min_delta=0.0):
            if len(val_losses) <= patience:
                return False
            recent = [val_losses.pop() for _ in range(patience)]
            return min(recent) >= min(val_losses) - min_delta
        """
        },
        STOP,
    ),
]

RIGHT = [
    Right(
        "dead_relu_fraction with a global hook, != 0 and per-module mode bookkeeping",
        {
            "dead_relu_fraction": """
        def dead_relu_fraction(model, x):
            relus = [m for m in model.modules() if isinstance(m, nn.ReLU)]
            index = {id(m): i for i, m in enumerate(relus)}
            alive = [None] * len(relus)

            def hook(module, inputs, output):
                if id(module) in index:
                    rows = output.detach().flatten(start_dim=1)
                    alive[index[id(module)]] = (rows != 0).any(dim=0)  # NaN != 0: alive

            modes = {m: m.training for m in model.modules()}
            model.eval()
            handle = torch.nn.modules.module.register_module_forward_hook(hook)
            try:
                with torch.inference_mode():
                    model(x)
            finally:
                handle.remove()
                for m, mode in modes.items():
                    m.train(mode)
            print(f"measured {len(relus)} ReLU layer(s)")
            return [float(1 - a.double().mean()) for a in alive]
        """
        },
    ),
    Right(
        "dead_relu_fraction with NumPy and counts over the batch",
        {
            "dead_relu_fraction": """
        def _dead_share(output):
            zeros = (output.detach().cpu().numpy() == 0).reshape(output.shape[0], -1)
            return int(np.sum(zeros.sum(axis=0) == zeros.shape[0])) / zeros.shape[1]

        def dead_relu_fraction(model, x):
            shares = {}
            handles = []
            for name, module in model.named_modules():
                if isinstance(module, nn.ReLU):
                    shares[name] = None
                    handles.append(module.register_forward_hook(
                        lambda m, i, o, name=name: shares.__setitem__(name, _dead_share(o))))
            with torch.no_grad():
                model(x)
            for handle in handles:
                handle.remove()
            return list(shares.values())
        """
        },
    ),
    Right(
        "clip_grad_norm with tensors: stacked norms and a clamped factor",
        {
            "clip_grad_norm": """
        def clip_grad_norm(parameters, max_norm):
            grads = [p.grad for p in list(parameters) if p.grad is not None]
            if not grads:
                return 0.0
            norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.detach())
                                                         for g in grads]))
            factor = torch.clamp(max_norm / (norm + 1e-6), max=1.0)
            for g in grads:
                g.detach().mul_(factor.to(g.dtype))
            return norm.item()
        """
        },
    ),
    Right(
        "clip_grad_norm with NumPy, replacing each .grad",
        {
            "clip_grad_norm": """
        def clip_grad_norm(parameters, max_norm):
            params = [p for p in parameters if p.grad is not None]
            flat = np.concatenate([p.grad.detach().numpy().astype(np.float64).ravel()
                                   for p in params]) if params else np.zeros(0)
            norm = float(np.sqrt(np.dot(flat, flat)))
            factor = min(1.0, max_norm / (norm + 1e-6))
            for p in params:
                p.grad = p.grad * factor
            if factor < 1:
                print(f"clipped: norm {norm:.3g} -> {norm * factor:.3g}")
            return norm
        """
        },
    ),
    Right(
        "schedules as loops over the epochs, like the schedulers",
        {
            "step_lr": """
        def step_lr(lr0, epoch, step_size, gamma):
            lr = lr0
            for e in range(1, epoch + 1):
                if e % step_size == 0:
                    lr *= gamma
            return lr
        """,
            "exponential_lr": """
        def exponential_lr(lr0, epoch, gamma):
            lr = lr0
            for _ in range(epoch):
                lr = lr * gamma
            return lr
        """,
            "cosine_lr": """
        def cosine_lr(lr0, epoch, t_max, eta_min=0.0):
            phase = (epoch % (2 * t_max)) / t_max  # the cosine has period 2 * t_max
            return eta_min + 0.5 * (lr0 - eta_min) * (1.0 + math.cos(phase * math.pi))
        """,
        },
    ),
    Right(
        "schedules with math.floor, exp/log and NumPy",
        {
            "step_lr": """
        def step_lr(lr0, epoch, step_size, gamma):
            return lr0 * math.pow(gamma, math.floor(epoch / step_size))
        """,
            "exponential_lr": """
        def exponential_lr(lr0, epoch, gamma):
            return lr0 * math.exp(epoch * math.log(gamma))
        """,
            "cosine_lr": """
        def cosine_lr(lr0, epoch, t_max, eta_min=0.0):
            return float(eta_min + (lr0 - eta_min) * np.cos(np.pi * epoch / t_max / 2) ** 2)
        """,
        },
    ),
    Right(
        "should_stop with all() and a default for the empty min",
        {
            "should_stop": """
        def should_stop(val_losses, patience, min_delta=0.0):
            if len(val_losses) < patience:
                return False
            best_before = min(val_losses[:-patience], default=math.inf)
            return all(loss >= best_before - min_delta for loss in val_losses[-patience:])
        """
        },
    ),
    Right(
        "should_stop with NumPy, cast to bool, and a message",
        {
            "should_stop": """
        def should_stop(val_losses, patience, min_delta=0.0):
            losses = np.array(val_losses, dtype=float)
            if losses.size <= patience:
                return False
            stop = bool(losses[-patience:].min() >= losses[:-patience].min() - min_delta)
            if stop:
                print("early stop")
            return stop
        """
        },
    ),
]
