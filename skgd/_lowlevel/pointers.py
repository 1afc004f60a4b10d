"""Raw data pointers of numba arrays."""

from numba import types
from numba.extending import intrinsic

__all__ = ["ptr"]


@intrinsic
def ptr(typingctx, arr):
    """The data pointer of a C-contiguous array, typed ``CPointer(dtype)``.

    Trick: hot loops hand helpers this pointer instead of the array. numba
    reference-counts an array passed to a function (inlined or not) at every call, two
    atomic library calls that also spill every live register; a pointer is a plain
    value. Other layouts are a typing error, since the kernels index the pointer as a
    dense row-major block.
    """
    if not (isinstance(arr, types.Array) and arr.layout == "C"):
        return None
    sig = types.CPointer(arr.dtype)(arr)

    def codegen(context, builder, signature, args):
        return context.make_array(arr)(context, builder, args[0]).data

    return sig, codegen
