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
    buffer (a flat index, for C-contiguous arrays of any dimension; read, keep in all
    cache levels). A hint only: it never faults and does not wait for the load, so
    a kernel can ask for the next random row while it computes on this one."""
    if not (isinstance(arr, types.Array) and arr.layout == "C"
            and isinstance(index, types.Integer)):
        return None  # a typing error: C-contiguous arrays and integer indices only
    sig = types.void(arr, index)

    def codegen(context, builder, signature, args):
        aty = signature.args[0]
        ary = context.make_array(aty)(context, builder, args[0])
        item = builder.gep(ary.data, [args[1]])
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, _PREFETCH)
        builder.call(fn, [builder.bitcast(item, i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return sig, codegen
