"""ex02_relu: wrong and right answers."""

from catalog import Right, Wrong

FUNCTION_ITEMS = {
    "relu_function_forward",
    "relu_function_edge",
    "relu_function_backward",
    "relu_module_core",
    "relu_module_edge",
}
MODULE_ITEMS = {"relu_module_core", "relu_module_edge"}

WRONG = [
    Wrong(
        "relu_scalar: max(0, x) returns the int 0 and loses NaN",
        {
            "relu_scalar": """
        def relu_scalar(x):
            return max(0, x)
        """
        },
        {"relu_scalar_core", "relu_scalar_edge"},
    ),
    Wrong(
        "relu_scalar: max(0.0, x) turns NaN into 0",
        {
            "relu_scalar": """
        def relu_scalar(x):
            return max(0.0, x)
        """
        },
        {"relu_scalar_edge"},
    ),
    Wrong(
        "relu_scalar: abs(x) instead of max",
        {
            "relu_scalar": """
        def relu_scalar(x):
            return abs(x)
        """
        },
        {"relu_scalar_core", "relu_scalar_edge"},
    ),
    Wrong(
        "relu_scalar: uses torch.relu",
        {
            "relu_scalar": """
        import torch

        def relu_scalar(x):
            return torch.relu(torch.tensor(x)).item()
        """
        },
        {"relu_scalar_core", "relu_scalar_edge"},
        status="forbidden",
    ),
    Wrong(
        "relu: np.where(x > 0, x, 0) turns NaN into 0",
        {
            "relu": """
        def relu(x):
            return np.where(x > 0, x, 0)
        """
        },
        {"relu_edge"},
    ),
    Wrong(
        "relu: x * (x > 0) turns -inf into NaN",
        {
            "relu": """
        def relu(x):
            return x * (x > 0)
        """
        },
        {"relu_edge"},
    ),
    Wrong(
        "relu: in place with out=x",
        {
            "relu": """
        def relu(x):
            return np.maximum(x, 0, out=x)
        """
        },
        {"relu_core", "relu_edge"},
    ),
    Wrong(
        "relu: returns float64 for every input",
        {
            "relu": """
        def relu(x):
            return np.maximum(x, np.zeros(x.shape))
        """
        },
        {"relu_core", "relu_edge"},
    ),
    Wrong(
        "relu: a leaky slope of 0.01",
        {
            "relu": """
        def relu(x):
            return np.where(x > 0, x, 0.01 * x)
        """
        },
        {"relu_core", "relu_edge"},
    ),
    Wrong(
        "relu: through torch.clamp",
        {
            "relu": """
        import torch

        def relu(x):
            return torch.clamp(torch.from_numpy(x), min=0).numpy()
        """
        },
        {"relu_core", "relu_edge"},
        status="forbidden",
    ),
    Wrong(
        "relu_grad: x >= 0 gives 1 at 0",
        {
            "relu_grad": """
        def relu_grad(x):
            return (x >= 0).astype(x.dtype)
        """
        },
        {"relu_grad_edge"},
    ),
    Wrong(
        "relu_grad: returns a boolean array",
        {
            "relu_grad": """
        def relu_grad(x):
            return x > 0
        """
        },
        {"relu_grad_core", "relu_grad_edge"},
    ),
    Wrong(
        "relu_grad: returns relu(x) instead of its slope",
        {
            "relu_grad": """
        def relu_grad(x):
            return np.maximum(x, 0)
        """
        },
        {"relu_grad_core", "relu_grad_edge"},
    ),
    Wrong(
        "relu_grad: np.sign(x) is -1 for negatives",
        {
            "relu_grad": """
        def relu_grad(x):
            return np.sign(x)
        """
        },
        {"relu_grad_core", "relu_grad_edge"},
    ),
    Wrong(
        "ReLUFunction: backward passes the gradient everywhere",
        {
            "ReLUFunction": """
        class ReLUFunction(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return torch.maximum(x, torch.zeros_like(x))
            @staticmethod
            def backward(ctx, grad_output):
                return grad_output
        """
        },
        {"relu_function_backward", "relu_module_core", "relu_module_edge"},
    ),
    Wrong(
        "ReLUFunction: forward changes x in place",
        {
            "ReLUFunction": """
        class ReLUFunction(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                mask = x > 0
                ctx.save_for_backward(mask)
                x[~mask] = 0
                return x.clone()
            @staticmethod
            def backward(ctx, grad_output):
                (mask,) = ctx.saved_tensors
                return grad_output * mask
        """
        },
        {
            "relu_function_forward",
            "relu_function_edge",
            "relu_function_backward",
            "relu_module_core",
            "relu_module_edge",
        },
    ),
    Wrong(
        "ReLUFunction: gradient 1 at x = 0",
        {
            "ReLUFunction": """
        class ReLUFunction(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return torch.maximum(x, torch.zeros_like(x))
            @staticmethod
            def backward(ctx, grad_output):
                (x,) = ctx.saved_tensors
                return grad_output * (x >= 0).to(grad_output.dtype)
        """
        },
        {"relu_function_backward", "relu_module_edge"},
    ),
    Wrong(
        "ReLUFunction: forward with x.clamp(min=0)",
        {
            "ReLUFunction": """
        class ReLUFunction(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x.clamp(min=0)
            @staticmethod
            def backward(ctx, grad_output):
                (x,) = ctx.saved_tensors
                return grad_output * (x > 0).to(grad_output.dtype)
        """
        },
        FUNCTION_ITEMS,
        status="forbidden",
    ),
    Wrong(
        "ReLU: forward uses F.relu instead of ReLUFunction",
        {
            "ReLU": """
        class ReLU(nn.Module):
            def forward(self, x):
                return torch.nn.functional.relu(x)
        """
        },
        {"relu_module_core", "relu_module_edge"},
        status="forbidden",
    ),
    Wrong(
        "ReLU: forward bypasses ReLUFunction",
        {
            "ReLU": """
        class ReLU(nn.Module):
            def forward(self, x):
                return x * (x > 0)
        """
        },
        {"relu_module_core", "relu_module_edge"},
    ),
    Wrong(
        "ReLU: a module with a learnable scale",
        {
            "ReLU": """
        class ReLU(nn.Module):
            def __init__(self):
                super().__init__()
                self.scale = nn.Parameter(torch.ones(1))
            def forward(self, x):
                return ReLUFunction.apply(x) * self.scale
        """
        },
        {"relu_module_core", "relu_module_edge"},
    ),
]

RIGHT = [
    Right(
        "relu_scalar with a conditional expression",
        {
            "relu_scalar": """
        import math

        def relu_scalar(x):
            if math.isnan(x):
                return x
            return x if x > 0 else 0.0
        """
        },
    ),
    Right(
        "relu with np.where(x < 0, 0, x)",
        {
            "relu": """
        def relu(x):
            return np.where(x < 0, 0, x).astype(x.dtype)
        """
        },
    ),
    Right(
        "relu with np.clip(x, 0, None)",
        {
            "relu": """
        def relu(x):
            return np.clip(x, 0, None)
        """
        },
    ),
    Right(
        "relu with a boolean mask on a copy, and relu_grad with np.heaviside",
        {
            "relu": """
        def relu(x):
            y = x.copy()
            y[y < 0] = 0
            return y
        """,
            "relu_grad": """
        def relu_grad(x):
            return np.heaviside(x, 0).astype(x.dtype)
        """,
        },
    ),
    Right(
        "ReLUFunction saving a mask, forward with torch.where and a NaN-preserving test",
        {
            "ReLUFunction": """
        class ReLUFunction(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x > 0)
                return torch.where(x < 0, torch.zeros_like(x), x)
            @staticmethod
            def backward(ctx, grad_output):
                (positive,) = ctx.saved_tensors
                return torch.where(positive, grad_output, torch.zeros_like(grad_output))
        """
        },
    ),
    Right(
        "ReLUFunction whose backward keeps grad_output at NaN inputs (backward passes are "
        "not tested at NaN)",
        {
            "ReLUFunction": """
        class ReLUFunction(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return torch.maximum(x, torch.zeros_like(x))
            @staticmethod
            def backward(ctx, grad_output):
                (x,) = ctx.saved_tensors
                return torch.where(x <= 0, torch.zeros_like(grad_output), grad_output)
        """
        },
    ),
    Right(
        "ReLU module with an explicit __init__ and a printed message",
        {
            "ReLU": """
        class ReLU(nn.Module):
            def __init__(self):
                super().__init__()
                print("a ReLU module")
            def forward(self, input):
                return ReLUFunction.apply(input)
        """
        },
    ),
]
