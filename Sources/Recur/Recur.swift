// `import Recur` brings the compute core (Tensor, RandomGenerator, the GEMM engines) with it.
@_exported import RecurCore
