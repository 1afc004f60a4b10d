"""Explicit SIMD vectors for numba kernels (numba intrinsics over LLVM vector types).

numba vectorises simple inner loops, but it cannot keep a loop's accumulators in vector
registers across an outer loop: an accumulator array lives in memory (and LLVM must
assume it aliases the other arrays), and scalar accumulators are not re-vectorised.
These intrinsics give kernels values of an LLVM vector type (``<n x float>``), which
LLVM keeps in registers (``ymm`` on AVX2) and lowers to plain vector instructions.

A vector spans ``u`` units of 16 bytes (``u`` a literal int at the call site; 2 units
are one AVX2 register, whose element count :func:`lanes` gives: 8 float32 or 4
float64). Loads and stores are unaligned; the masked forms touch only the first ``k``
elements. On AMD Zen a masked *store* is slow (microcoded), a masked load is not:
kernels keep masked stores out of their inner loops.

Every intrinsic takes a C-contiguous 1-d array or a raw pointer (``CPointer``, from
:func:`~skgd._lowlevel.ptr`, moved on by :func:`advance`). Kernels hand pointers to
their helpers: an array handed to a helper, even an inlined one, is reference-counted
at every call, two atomic library calls that also spill the vector registers.
"""

from __future__ import annotations

from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic, models, register_model

from .prefetch import prefetch  # re-exported: the kernels import it from here

__all__ = ["lanes", "vload", "vloadm", "vstore", "vstorem", "vsplat", "vfma", "vget",
           "prefetch", "advance"]

#: bytes of one vector unit (``xmm``); AVX2 registers hold two, narrower targets split
#: wider vectors
UNIT_BYTES = 16
_PTR = "p0" if binding.llvm_version_info >= (15,) else "p0v{n}{elt}"
_I32 = ir.IntType(32)


class Vec(types.Type):
    """A SIMD vector of ``n`` elements of ``dtype`` (an LLVM ``<n x dtype>`` value)."""

    def __init__(self, dtype, n: int):
        self.dtype, self.n = dtype, n
        super().__init__(name=f"Vec({dtype} x {n})")


@register_model(Vec)
class _VecModel(models.PrimitiveModel):
    def __init__(self, dmm, fe_type):
        elt = dmm.lookup(fe_type.dtype).get_value_type()
        super().__init__(dmm, fe_type, ir.VectorType(elt, fe_type.n))


def _vec(dtype, units) -> Vec:
    if not isinstance(units, types.IntegerLiteral):
        raise TypeError("the vector size must be a literal int")
    return Vec(dtype, units.literal_value * UNIT_BYTES // (dtype.bitwidth // 8))


def _check(arr) -> None:
    if not (isinstance(arr, types.CPointer)
            or isinstance(arr, types.Array) and arr.ndim == 1 and arr.layout == "C"):
        raise TypeError(f"a C-contiguous 1-d array or a pointer is needed, got {arr}")


def _data(context, builder, aty, arr):
    """The data pointer of an array, or the pointer itself."""
    if isinstance(aty, types.CPointer):
        return arr
    return context.make_array(aty)(context, builder, arr).data


def _pointer(context, builder, aty, arr, idx, vty):
    """``&arr[idx]`` (a C-contiguous 1-d array or a pointer) cast to a pointer to
    ``vty``."""
    data = _data(context, builder, aty, arr)
    return builder.bitcast(builder.gep(data, [idx]), context.get_value_type(vty).as_pointer())


def _mask(builder, n: int, k):
    """``<n x i1>``: lane ``i`` is set when ``i < k``."""
    vty = ir.VectorType(_I32, n)
    kv = builder.insert_element(ir.Constant(vty, None), builder.trunc(k, _I32), _I32(0))
    kv = builder.shuffle_vector(kv, ir.Constant(vty, None), ir.Constant(vty, [0] * n))
    return builder.icmp_signed("<", ir.Constant(vty, list(range(n))), kv)


def _masked(builder, op: str, vt: Vec, lty, *operands):
    """Call ``llvm.masked.load`` / ``llvm.masked.store`` on ``operands``."""
    elt = f"f{vt.dtype.bitwidth}"
    name = f"llvm.masked.{op}.v{vt.n}{elt}.{_PTR.format(n=vt.n, elt=elt)}"
    mty = ir.VectorType(ir.IntType(1), vt.n)
    if op == "load":
        fnty = ir.FunctionType(lty, [lty.as_pointer(), _I32, mty, lty])
    else:
        fnty = ir.FunctionType(ir.VoidType(), [lty, lty.as_pointer(), _I32, mty])
    return builder.call(cgutils.get_or_insert_function(builder.module, fnty, name),
                        list(operands))


@intrinsic(prefer_literal=True)
def lanes(typingctx, arr):
    """Elements of ``arr``'s dtype in one AVX2 register, two units (8 float32, 4
    float64)."""
    n = 2 * UNIT_BYTES // (arr.dtype.bitwidth // 8)

    def codegen(context, builder, sig, args):
        return context.get_constant(types.intp, n)

    return types.intp(arr), codegen


@intrinsic(prefer_literal=True)
def vload(typingctx, arr, idx, units):
    """The vector ``arr[idx:idx + n]`` of ``units`` units."""
    _check(arr)
    vt = _vec(arr.dtype, units)

    def codegen(context, builder, sig, args):
        ptr = _pointer(context, builder, sig.args[0], args[0], args[1], vt)
        return builder.load(ptr, align=arr.dtype.bitwidth // 8)

    return vt(arr, idx, units), codegen


@intrinsic(prefer_literal=True)
def vloadm(typingctx, arr, idx, units, k):
    """:func:`vload` of the first ``k`` elements only (the other lanes are 0)."""
    _check(arr)
    vt = _vec(arr.dtype, units)

    def codegen(context, builder, sig, args):
        lty = context.get_value_type(vt)
        ptr = _pointer(context, builder, sig.args[0], args[0], args[1], vt)
        return _masked(builder, "load", vt, lty, ptr, _I32(arr.dtype.bitwidth // 8),
                       _mask(builder, vt.n, args[3]), ir.Constant(lty, None))

    return vt(arr, idx, units, k), codegen


@intrinsic
def vstore(typingctx, arr, idx, vec):
    """``arr[idx:idx + n] = vec``."""
    _check(arr)

    def codegen(context, builder, sig, args):
        ptr = _pointer(context, builder, sig.args[0], args[0], args[1], sig.args[2])
        builder.store(args[2], ptr, align=arr.dtype.bitwidth // 8)
        return context.get_dummy_value()

    return types.void(arr, idx, vec), codegen


@intrinsic
def vstorem(typingctx, arr, idx, vec, k):
    """``arr[idx:idx + k] = vec[:k]`` (a masked store: slow on AMD, keep it out of inner
    loops)."""
    _check(arr)

    def codegen(context, builder, sig, args):
        vt = sig.args[2]
        ptr = _pointer(context, builder, sig.args[0], args[0], args[1], vt)
        _masked(builder, "store", vt, context.get_value_type(vt), args[2], ptr,
                _I32(vt.dtype.bitwidth // 8), _mask(builder, vt.n, args[3]))
        return context.get_dummy_value()

    return types.void(arr, idx, vec, k), codegen


@intrinsic(prefer_literal=True)
def vsplat(typingctx, x, units):
    """A vector of ``units`` units with every lane ``x``."""
    vt = _vec(x, units)

    def codegen(context, builder, sig, args):
        lty = context.get_value_type(vt)
        v = builder.insert_element(ir.Constant(lty, None), args[0], _I32(0))
        zeros = ir.Constant(ir.VectorType(_I32, vt.n), [0] * vt.n)
        return builder.shuffle_vector(v, ir.Constant(lty, None), zeros)

    return vt(x, units), codegen


@intrinsic
def vfma(typingctx, a, b, c):
    """``a * b + c`` lane by lane, fused into one rounding where the CPU has FMA
    (``llvm.fmuladd``)."""

    def codegen(context, builder, sig, args):
        vt = sig.return_type
        lty = context.get_value_type(vt)
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(lty, [lty] * 3),
                                            f"llvm.fmuladd.v{vt.n}f{vt.dtype.bitwidth}")
        return builder.call(fn, list(args))

    return a(a, b, c), codegen


@intrinsic
def vget(typingctx, vec, k):
    """Lane ``k`` of ``vec``."""

    def codegen(context, builder, sig, args):
        return builder.extract_element(args[0], builder.trunc(args[1], _I32))

    return vec.dtype(vec, k), codegen


@intrinsic
def advance(typingctx, p, idx):
    """The pointer ``p + idx`` (``&p[idx]``; numba has no pointer arithmetic)."""
    if not (isinstance(p, types.CPointer) and isinstance(idx, types.Integer)):
        return None

    def codegen(context, builder, sig, args):
        return builder.gep(args[0], [args[1]])

    return p(p, idx), codegen
