"""Numba intrinsics the compiled kernels share."""

from llvmlite import binding, ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

__all__ = ["prefetch"]

# LLVM 15+ names the intrinsic after the opaque pointer type
_PREFETCH = ("llvm.prefetch.p0" if binding.llvm_version_info >= (15,)
             else "llvm.prefetch.p0i8")


@intrinsic
def prefetch(typingctx, arr, index):
    """Hint the CPU to load the cache line holding element ``index`` of ``arr``'s data
    buffer (a flat index, for C-contiguous arrays of any dimension, or an offset from
    a ``CPointer``; read, keep in all cache levels). A hint only: it never faults and
    does not wait for the load, so a kernel can ask for the next random row while it
    computes on this one.

    Hot loops should pass pointers (``skgd._lowlevel.ptr``) to helpers: an array
    handed to an inlined helper is reference-counted at every call, two atomic
    library calls that spill every register."""
    is_array = isinstance(arr, types.Array) and arr.layout == "C"
    if not ((is_array or isinstance(arr, types.CPointer))
            and isinstance(index, types.Integer)):
        return None  # a typing error: C-contiguous arrays or pointers, integer indices
    sig = types.void(arr, index)

    def codegen(context, builder, signature, args):
        base = args[0]
        if is_array:
            base = context.make_array(signature.args[0])(context, builder, args[0]).data
        item = builder.gep(base, [args[1]])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, _PREFETCH)
        builder.call(fn, [builder.bitcast(item, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen
