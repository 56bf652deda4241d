"""Tiny NumPy interpreter for the ONNX operators used by the exported Stepwise models.

This machine has no onnxruntime and onnx 1.12 has no onnx.reference, so exports are checked
numerically against PyTorch with this evaluator (float64 internally for the reference).
"""
import numpy as np
from onnx import helper, numpy_helper


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, pads, strides, group):
    if group != 1:
        raise NotImplementedError("grouped conv")
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (xp.shape[2] - kh) // strides[0] + 1
    ow = (xp.shape[3] - kw) // strides[1] + 1
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]
    out = np.einsum("nckluv,ockl->nouv", cols, w, optimize=True)
    if b is not None:
        out = out + b[None, :, None, None]
    return out


def _maxpool(x, k, s, pads):
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])), constant_values=-np.inf)
    oh = (xp.shape[2] - k[0]) // s[0] + 1
    ow = (xp.shape[3] - k[1]) // s[1] + 1
    out = np.full(x.shape[:2] + (oh, ow), -np.inf, dtype=x.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            out = np.maximum(out, xp[:, :, i:i + s[0] * oh:s[0], j:j + s[1] * ow:s[1]])
    return out


def run_model(model, feeds, dtype=np.float64):
    env = {}
    for init in model.graph.initializer:
        env[init.name] = numpy_helper.to_array(init)
    for k, v in feeds.items():
        env[k] = np.asarray(v, dtype=dtype) if np.asarray(v).dtype.kind == "f" else np.asarray(v)

    def f(a):
        return a.astype(dtype) if a.dtype.kind == "f" else a

    for k in list(env):
        env[k] = f(env[k])
    for node in model.graph.node:
        at = _attrs(node)
        ins = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Constant":
            out = [f(numpy_helper.to_array(at["value"]))]
        elif op in ("Add", "Sub", "Mul", "Div", "Pow"):
            fn = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Pow": np.power}[op]
            out = [fn(ins[0], ins[1]).astype(np.result_type(ins[0], ins[1]))]
        elif op in ("Sigmoid", "Sin", "Cos", "Exp", "Relu", "Sqrt", "Neg", "Identity"):
            fn = {"Sigmoid": lambda a: 1 / (1 + np.exp(-a)), "Sin": np.sin, "Cos": np.cos, "Exp": np.exp,
                  "Relu": lambda a: np.maximum(a, 0), "Sqrt": np.sqrt, "Neg": np.negative,
                  "Identity": lambda a: a}[op]
            out = [fn(ins[0])]
        elif op == "Conv":
            k = ins[1].shape[2:]
            out = [_conv(ins[0], ins[1], ins[2] if len(ins) > 2 else None, at.get("pads", [0, 0, 0, 0]),
                         at.get("strides", [1, 1]), at.get("group", 1))]
            assert tuple(at.get("kernel_shape", k)) == tuple(k)
        elif op == "MaxPool":
            out = [_maxpool(ins[0], at["kernel_shape"], at.get("strides", at["kernel_shape"]),
                            at.get("pads", [0, 0, 0, 0]))]
        elif op == "Gemm":
            a, b = ins[0], ins[1]
            if at.get("transA", 0):
                a = a.T
            if at.get("transB", 0):
                b = b.T
            r = at.get("alpha", 1.0) * (a @ b)
            if len(ins) > 2 and ins[2] is not None:
                r = r + at.get("beta", 1.0) * ins[2]
            out = [r]
        elif op == "MatMul":
            out = [np.matmul(ins[0], ins[1])]
        elif op == "Reshape":
            shape = [int(s) for s in ins[1]]
            shape = [ins[0].shape[i] if s == 0 else s for i, s in enumerate(shape)]
            out = [ins[0].reshape(shape)]
        elif op == "Flatten":
            ax = at.get("axis", 1)
            out = [ins[0].reshape(int(np.prod(ins[0].shape[:ax])), -1)]
        elif op == "Shape":
            out = [np.array(ins[0].shape, dtype=np.int64)]
        elif op == "Gather":
            out = [np.take(ins[0], ins[1], axis=at.get("axis", 0))]
        elif op == "Cast":
            to = at["to"]
            npt = {1: dtype, 6: np.int32, 7: np.int64, 11: np.float64, 9: np.bool_}[to]
            out = [ins[0].astype(npt)]
        elif op == "Unsqueeze":
            r = ins[0]
            axes = sorted(int(a) for a in ins[1])
            for a in axes:
                r = np.expand_dims(r, a if a >= 0 else a + r.ndim + 1)
            out = [r]
        elif op == "Squeeze":
            axes = tuple(int(a) for a in ins[1]) if len(ins) > 1 and ins[1] is not None else None
            out = [np.squeeze(ins[0], axis=axes)]
        elif op == "Concat":
            out = [np.concatenate(ins, axis=at["axis"])]
        elif op == "Split":
            ax = at.get("axis", 0)
            sizes = ins[1] if len(ins) > 1 and ins[1] is not None else \
                [ins[0].shape[ax] // len(node.output)] * len(node.output)
            idx = np.cumsum(sizes)[:-1]
            out = np.split(ins[0], idx, axis=ax)
        elif op == "Transpose":
            out = [np.transpose(ins[0], at.get("perm"))]
        elif op == "Softmax":
            ax = at.get("axis", -1)
            e = np.exp(ins[0] - ins[0].max(axis=ax, keepdims=True))
            out = [e / e.sum(axis=ax, keepdims=True)]
        elif op == "InstanceNormalization":
            x = ins[0]
            axes = tuple(range(2, x.ndim))
            mu = x.mean(axis=axes, keepdims=True)
            var = x.var(axis=axes, keepdims=True)
            sh = (1, -1) + (1,) * (x.ndim - 2)
            out = [(x - mu) / np.sqrt(var + at.get("epsilon", 1e-5)) * ins[1].reshape(sh) + ins[2].reshape(sh)]
        elif op == "Resize":
            assert at.get("mode", b"nearest") == b"nearest"
            scales = ins[2]
            if scales is None or scales.size == 0:
                scales = np.array(ins[3], dtype=np.float64) / np.array(ins[0].shape)
            r = ins[0]
            for ax, s in enumerate(scales):
                if s != 1:
                    assert float(s).is_integer()
                    r = np.repeat(r, int(s), axis=ax)
            out = [r]
        elif op == "DepthToSpace":
            bs = at["blocksize"]
            n, c, h, w = ins[0].shape
            assert at.get("mode", b"DCR") == b"CRD"
            r = ins[0].reshape(n, c // (bs * bs), bs, bs, h, w).transpose(0, 1, 4, 2, 5, 3)
            out = [r.reshape(n, c // (bs * bs), h * bs, w * bs)]
        elif op == "SpaceToDepth":
            bs = at["blocksize"]
            n, c, h, w = ins[0].shape
            r = ins[0].reshape(n, c, h // bs, bs, w // bs, bs).transpose(0, 3, 5, 1, 2, 4)
            out = [r.reshape(n, c * bs * bs, h // bs, w // bs)]
        else:
            raise NotImplementedError(op)
        for name, val in zip(node.output, out):
            env[name] = val
    return {o.name: env[o.name] for o in model.graph.output}
