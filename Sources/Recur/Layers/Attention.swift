import Foundation
import RecurCore

/// How a decoder step scores the encoder's outputs (docs/seq2seq.md).
public enum AttentionKind: String, Codable, CaseIterable, Sendable {
    /// No attention: the decoder sees the source only through its initial state.
    case none
    /// Additive (Bahdanau et al. 2015): `e_j = v . tanh(W_q q + b_q + W_k k_j)`.
    case bahdanau
    /// Multiplicative, dot (Luong et al. 2015): `e_j = q . k_j` (the query and key widths must match).
    case luongDot = "luong-dot"
    /// Multiplicative, general (Luong et al. 2015): `e_j = q . (W_a k_j)`.
    case luongGeneral = "luong-general"
}

/// Attention over a batch of encoder outputs ("keys", which are also the values), one query per row
/// at a time, with per-row source lengths: the scores of steps past a row's length are left out of
/// its softmax, so they get weight 0 and no gradient.
///
/// Shapes: keys `[S, B, K]` (time-major, as the encoder writes them), query `[B, Q]`, context
/// `[B, K] = sum_j a_j k_j`, weights `[B, S]`. Parameters (PyTorch names under `attention.`):
/// Bahdanau `query.weight [A, Q]`, `query.bias [A]`, `key.weight [A, K]`, `score.weight [1, A]`;
/// Luong general `weight [Q, K]`; Luong dot none.
///
/// A decoding pass calls `prepare` once (the keys' projection is computed there, once), `attend` at
/// every step keeping each `Record`, then in reverse `backward` for each step and `finish` once,
/// which returns dL/d(keys).
public final class Attention<Scalar: RecurScalar>: Module {
    public let kind: AttentionKind
    public let queryWidth: Int
    public let keyWidth: Int
    /// A: the width of the additive score's hidden layer (Bahdanau).
    public let attentionWidth: Int
    public var engine: GEMMEngine = .fast
    let queryWeight: Parameter<Scalar>?   // [A, Q]
    let queryBias: Parameter<Scalar>?     // [A]
    let keyWeight: Parameter<Scalar>?     // [A, K] (Bahdanau) or [Q, K] (Luong general)
    let scoreWeight: Parameter<Scalar>?   // [1, A]

    public init(kind: AttentionKind, queryWidth: Int, keyWidth: Int, attentionWidth: Int? = nil,
                initialization: WeightInitialization = .pytorch, using generator: inout RandomGenerator) {
        precondition(kind != .none, "Attention: kind none has no attention layer")
        precondition(kind != .luongDot || queryWidth == keyWidth,
                     "Attention: luong-dot needs equal query and key widths, got \(queryWidth) and \(keyWidth)")
        self.kind = kind
        self.queryWidth = queryWidth
        self.keyWidth = keyWidth
        self.attentionWidth = attentionWidth ?? queryWidth
        let A = self.attentionWidth
        func linear(_ outputs: Int, _ inputs: Int, bias: Bool) -> (Parameter<Scalar>, Parameter<Scalar>?) {
            let layer = Linear<Scalar>(inputSize: inputs, outputSize: outputs, initialization: initialization, using: &generator)
            return (layer.weight, bias ? layer.bias : nil)
        }
        switch kind {
        case .bahdanau:
            let q = linear(A, queryWidth, bias: true), k = linear(A, keyWidth, bias: false), v = linear(1, A, bias: false)
            (queryWeight, queryBias, keyWeight, scoreWeight) = (q.0, q.1, k.0, v.0)
        case .luongGeneral:
            (queryWeight, queryBias, keyWeight, scoreWeight) = (nil, nil, linear(queryWidth, keyWidth, bias: false).0, nil)
        case .luongDot, .none:
            (queryWeight, queryBias, keyWeight, scoreWeight) = (nil, nil, nil, nil)
        }
    }

    public var namedParameters: [(name: String, parameter: Parameter<Scalar>)] {
        switch kind {
        case .bahdanau:
            return [("query.weight", queryWeight!), ("query.bias", queryBias!), ("key.weight", keyWeight!), ("score.weight", scoreWeight!)]
        case .luongGeneral: return [("weight", keyWeight!)]
        case .luongDot, .none: return []
        }
    }

    /// One batch's keys, their projection, and the gradients that accumulate over a decoding pass.
    /// Decoder row b reads the keys' column `columns[b]` (several rows may share one: the beams of a
    /// source), or column b when `columns` is nil; a memory with shared columns is for decoding only.
    public final class Memory {
        public let keys: Tensor<Scalar>       // [S, N, K]
        /// Per decoder row, its source's length.
        public let lengths: [Int]
        /// Bahdanau: `W_k k_j` `[S, N, A]`; Luong general: `W_a k_j` `[S, N, Q]`; dot: the keys.
        let projected: Tensor<Scalar>
        let columns: [Int]?
        var dKeys: Tensor<Scalar>
        var dProjected: Tensor<Scalar>
        var steps: Int { keys.shape[0] }
        /// The decoder rows B.
        var batch: Int { lengths.count }
        /// The keys' columns N.
        var keyBatch: Int { keys.shape[1] }
        @inline(__always) func column(_ row: Int) -> Int { columns?[row] ?? row }

        init(keys: Tensor<Scalar>, lengths: [Int], projected: Tensor<Scalar>, columns: [Int]? = nil) {
            self.keys = keys
            self.lengths = lengths
            self.projected = projected
            self.columns = columns
            dKeys = Tensor(shape: columns == nil ? keys.shape : [0])
            dProjected = Tensor(shape: columns == nil ? projected.shape : [0])
        }

        /// This memory read by decoder rows whose sources are the rows `rows` of this one (for
        /// decoding: no gradient accumulates).
        func sharing(_ rows: [Int]) -> Memory {
            Memory(keys: keys, lengths: rows.map { lengths[$0] }, projected: projected, columns: rows.map { column($0) })
        }
    }

    /// What one step computed, for its backward step.
    public struct Record {
        let query: Tensor<Scalar>      // [B, Q]
        /// Bahdanau: tanh(W_q q + b_q + W_k k_j) `[B, S, A]`.
        let hidden: Tensor<Scalar>
        public let weights: Tensor<Scalar>    // [B, S]
    }

    /// Prepares a batch's keys `[S, B, K]` with B lengths in 1...S.
    public func prepare(keys: Tensor<Scalar>, lengths: [Int]) -> Memory {
        precondition(keys.rank == 3 && keys.shape[2] == keyWidth, "Attention: expected keys [S, B, \(keyWidth)], got \(keys.shape)")
        precondition(lengths.count == keys.shape[1] && lengths.allSatisfy { $0 >= 1 && $0 <= keys.shape[0] },
                     "Attention: expected \(keys.shape[1]) lengths in 1...\(keys.shape[0]), got \(lengths)")
        switch kind {
        case .bahdanau, .luongGeneral:
            let W = keyWeight!, out = W.shape[0], rows = keys.shape[0] * keys.shape[1]
            var projected = Tensor<Scalar>(shape: [keys.shape[0], keys.shape[1], out])
            keys.withUnsafeBufferPointer { k in
                W.value.withUnsafeBufferPointer { w in
                    projected.withUnsafeMutableBufferPointer { p in
                        gemm(engine: engine, transB: true, m: rows, n: out, k: keyWidth, a: k.baseAddress!, lda: keyWidth,
                             b: w.baseAddress!, ldb: keyWidth, c: p.baseAddress!, ldc: out)
                    }
                }
            }
            return Memory(keys: keys, lengths: lengths, projected: projected)
        case .luongDot, .none:
            return Memory(keys: keys, lengths: lengths, projected: keys)
        }
    }

    /// One query `[B, Q]`: the context `[B, K]` and the step's record (which holds the weights).
    /// Without `keepForBackward` (decoding) the record keeps only the weights: Bahdanau's `[B, S, A]`
    /// hidden layer is neither stored nor allocated, and `backward` must not be called with it.
    public func attend(_ query: Tensor<Scalar>, _ memory: Memory, keepForBackward: Bool = true) -> (context: Tensor<Scalar>, record: Record) {
        let S = memory.steps, B = memory.batch, N = memory.keyBatch, K = keyWidth, Q = queryWidth, A = attentionWidth
        precondition(query.shape == [B, Q], "Attention: expected a query [\(B), \(Q)], got \(query.shape)")
        precondition(memory.columns == nil || !keepForBackward, "Attention: a memory with shared key columns is for decoding only")
        var scores = Tensor<Scalar>(shape: [B, S])
        var hidden = Tensor<Scalar>(shape: kind == .bahdanau && keepForBackward ? [B, S, A] : [0])
        query.withUnsafeBufferPointer { q in
            memory.projected.withUnsafeBufferPointer { p in
                scores.withUnsafeMutableBufferPointer { e in
                    switch kind {
                    case .bahdanau:
                        var qa = [Scalar](repeating: 0, count: B * A)
                        queryBias!.value.withUnsafeBufferPointer { bias in
                            for b in 0..<B { for i in 0..<A { qa[b * A + i] = bias[i] } }
                        }
                        queryWeight!.value.withUnsafeBufferPointer { w in
                            qa.withUnsafeMutableBufferPointer { qab in
                                gemm(engine: engine, transB: true, m: B, n: A, k: Q, a: q.baseAddress!, lda: Q,
                                     b: w.baseAddress!, ldb: Q, beta: 1, c: qab.baseAddress!, ldc: A)
                            }
                        }
                        scoreWeight!.value.withUnsafeBufferPointer { v in
                            hidden.withUnsafeMutableBufferPointer { hb in
                                qa.withUnsafeBufferPointer { qab in
                                    // An empty tensor's buffer may still have an address: the flag decides.
                                    let hidden = keepForBackward ? hb.baseAddress : nil, keys = p.baseAddress!, scores = e.baseAddress!
                                    let query = qab.baseAddress!, score = v.baseAddress!
                                    // Rows are independent: shares of them run on the compute threads,
                                    // eight lanes of tanh at a time.
                                    ComputeThreads.forEachShare(count: B, minimumShare: max(1, 4096 / max(1, S * A))) { _, rows in
                                        if Scalar.self == Float.self {
                                            // Float: the C kernel, sixteen lanes wide where the CPU has AVX-512.
                                            func float(_ p: UnsafePointer<Scalar>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }
                                            for b in rows {
                                                let h = hidden.map { UnsafeMutableRawPointer($0 + b * S * A).assumingMemoryBound(to: Float.self) }
                                                additiveScores(query: float(query + b * A), keys: float(keys + memory.column(b) * A), stride: N * A,
                                                               v: float(score), width: A, steps: memory.lengths[b], hidden: h,
                                                               scores: UnsafeMutableRawPointer(scores + b * S).assumingMemoryBound(to: Float.self))
                                            }
                                            return
                                        }
                                        for b in rows {
                                            let column = memory.column(b)
                                            for j in 0..<memory.lengths[b] {
                                                let row = hidden.map { $0 + (b * S + j) * A }, key = keys + (j * N + column) * A, q = query + b * A
                                                var sum = SIMD8<Scalar>(repeating: 0)
                                                var i = 0
                                                while i < A {
                                                    let n = Swift.min(8, A - i)
                                                    let t = Scalar.tanh(load8(q + i, count: n) + load8(key + i, count: n))
                                                    if let row { store8(t, row + i, count: n) }
                                                    sum += load8(score + i, count: n) * t
                                                    i += 8
                                                }
                                                scores[b * S + j] = sum.sum()
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    case .luongDot, .luongGeneral:
                        let keys = p.baseAddress!, queries = q.baseAddress!, scores = e.baseAddress!
                        ComputeThreads.forEachShare(count: B, minimumShare: max(1, 4096 / max(1, S * Q))) { _, rows in
                            for b in rows {
                                let column = memory.column(b)
                                for j in 0..<memory.lengths[b] { scores[b * S + j] = dot8(queries + b * Q, keys + (j * N + column) * Q, count: Q) }
                            }
                        }
                    case .none:
                        break
                    }
                    // Softmax over each row's real steps; the rest get weight 0.
                    for b in 0..<B {
                        let n = memory.lengths[b], row = e.baseAddress! + b * S
                        var maximum = row[0]
                        for j in 1..<n where row[j] > maximum { maximum = row[j] }
                        var total = Scalar.zero
                        for j in 0..<n {
                            row[j] = Scalar.exp(row[j] - maximum)
                            total += row[j]
                        }
                        for j in 0..<n { row[j] /= total }
                        for j in n..<S { row[j] = 0 }
                    }
                }
            }
        }
        var context = Tensor<Scalar>(shape: [B, K])
        scores.withUnsafeBufferPointer { a in
            memory.keys.withUnsafeBufferPointer { k in
                context.withUnsafeMutableBufferPointer { c in
                    let weights = a.baseAddress!, keys = k.baseAddress!, contexts = c.baseAddress!
                    ComputeThreads.forEachShare(count: B, minimumShare: max(1, 4096 / max(1, S * K))) { _, rows in
                        for b in rows {
                            let column = memory.column(b)
                            for j in 0..<memory.lengths[b] { axpy8(weights[b * S + j], keys + (j * N + column) * K, contexts + b * K, count: K) }
                        }
                    }
                }
            }
        }
        return (context, Record(query: query, hidden: hidden, weights: scores))
    }

    /// Back-propagates one step's dL/d(context) `[B, K]`: returns dL/d(query) `[B, Q]`, accumulates
    /// the parameters' gradients and the keys' gradient in `memory`.
    public func backward(_ record: Record, contextGradient dContext: Tensor<Scalar>, _ memory: Memory) -> Tensor<Scalar> {
        precondition(kind != .bahdanau || record.hidden.count > 0, "Attention.backward: the step was attended with keepForBackward false")
        precondition(memory.columns == nil, "Attention.backward: a memory with shared key columns is for decoding only")
        let S = memory.steps, B = memory.batch, K = keyWidth, Q = queryWidth, A = attentionWidth
        var dQuery = Tensor<Scalar>(shape: [B, Q])
        var dScores = [Scalar](repeating: 0, count: B * S)
        record.weights.withUnsafeBufferPointer { a in
            dContext.withUnsafeBufferPointer { dc in
                memory.keys.withUnsafeBufferPointer { k in
                    memory.dKeys.withUnsafeMutableBufferPointer { dk in
                        dScores.withUnsafeMutableBufferPointer { ds in
                            let weights = a.baseAddress!, keys = k.baseAddress!, dKeys = dk.baseAddress!, dS = ds.baseAddress!
                            ComputeThreads.forEachShare(count: B, minimumShare: max(1, 4096 / max(1, S * K))) { _, rows in
                                for b in rows {
                                    let n = memory.lengths[b], g = dc.baseAddress! + b * K
                                    // dL/da_j = dc . k_j; the keys (as values) get a_j dc. dS holds dL/da_j first.
                                    var weighted = Scalar.zero
                                    for j in 0..<n {
                                        let dot = dot8(g, keys + (j * B + b) * K, count: K)
                                        axpy8(weights[b * S + j], g, dKeys + (j * B + b) * K, count: K)
                                        dS[b * S + j] = dot
                                        weighted += weights[b * S + j] * dot
                                    }
                                    // Through the softmax: de_j = a_j (dA_j - sum_k a_k dA_k).
                                    for j in 0..<n { dS[b * S + j] = weights[b * S + j] * (dS[b * S + j] - weighted) }
                                }
                            }
                        }
                    }
                }
            }
        }
        record.query.withUnsafeBufferPointer { q in
            memory.projected.withUnsafeBufferPointer { p in
                memory.dProjected.withUnsafeMutableBufferPointer { dp in
                    dQuery.withUnsafeMutableBufferPointer { dq in
                        switch kind {
                        case .bahdanau:
                            var dqa = [Scalar](repeating: 0, count: B * A)
                            scoreWeight!.value.withUnsafeBufferPointer { v in
                                record.hidden.withUnsafeBufferPointer { h in
                                    dqa.withUnsafeMutableBufferPointer { dqab in
                                        let hidden = h.baseAddress!, score = v.baseAddress!, dProjected = dp.baseAddress!, dq = dqab.baseAddress!
                                        // Rows write their own dqa and their own keys' gradients: shares of
                                        // rows run on the compute threads; v's gradient is summed after.
                                        ComputeThreads.forEachShare(count: B, minimumShare: max(1, 4096 / max(1, S * A))) { _, rows in
                                            for b in rows {
                                                for j in 0..<memory.lengths[b] {
                                                    let de = dScores[b * S + j], row = hidden + (b * S + j) * A
                                                    let dKey = dProjected + (j * B + b) * A, dRow = dq + b * A
                                                    var i = 0
                                                    while i < A {
                                                        let n = Swift.min(8, A - i)
                                                        let t = load8(row + i, count: n)
                                                        let dPre = de * load8(score + i, count: n) * (1 - t * t)
                                                        store8(load8(dRow + i, count: n) + dPre, dRow + i, count: n)
                                                        store8(load8(dKey + i, count: n) + dPre, dKey + i, count: n)
                                                        i += 8
                                                    }
                                                }
                                            }
                                        }
                                        scoreWeight!.gradient.withUnsafeMutableBufferPointer { dv in
                                            for b in 0..<B {
                                                for j in 0..<memory.lengths[b] {
                                                    let de = dScores[b * S + j], row = hidden + (b * S + j) * A
                                                    for i in 0..<A { dv[i] += de * row[i] }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                            queryBias!.gradient.withUnsafeMutableBufferPointer { db in
                                for b in 0..<B { for i in 0..<A { db[i] += dqa[b * A + i] } }
                            }
                            dqa.withUnsafeBufferPointer { d in
                                queryWeight!.gradient.withUnsafeMutableBufferPointer { dw in
                                    gemm(engine: engine, transA: true, m: A, n: Q, k: B, a: d.baseAddress!, lda: A,
                                         b: q.baseAddress!, ldb: Q, beta: 1, c: dw.baseAddress!, ldc: Q)
                                }
                                queryWeight!.value.withUnsafeBufferPointer { w in
                                    gemm(engine: engine, m: B, n: Q, k: A, a: d.baseAddress!, lda: A,
                                         b: w.baseAddress!, ldb: Q, c: dq.baseAddress!, ldc: Q)
                                }
                            }
                        case .luongDot, .luongGeneral:
                            let keys = p.baseAddress!, dKeys = dp.baseAddress!, queries = q.baseAddress!, dQueries = dq.baseAddress!
                            dScores.withUnsafeBufferPointer { ds in
                                _ = ComputeThreads.forEachShare(count: B, minimumShare: max(1, 4096 / max(1, S * Q))) { _, rows in
                                    for b in rows {
                                        for j in 0..<memory.lengths[b] {
                                            let de = ds[b * S + j]
                                            axpy8(de, keys + (j * B + b) * Q, dQueries + b * Q, count: Q)
                                            axpy8(de, queries + b * Q, dKeys + (j * B + b) * Q, count: Q)
                                        }
                                    }
                                }
                            }
                        case .none:
                            break
                        }
                    }
                }
            }
        }
        return dQuery
    }

    /// After every step's `backward`: the projection's gradient goes to its weight and to the keys.
    /// Returns dL/d(keys) `[S, B, K]`.
    public func finish(_ memory: Memory) -> Tensor<Scalar> {
        switch kind {
        case .bahdanau, .luongGeneral:
            let W = keyWeight!, out = W.shape[0], rows = memory.steps * memory.keyBatch, K = keyWidth
            memory.dProjected.withUnsafeBufferPointer { dp in
                memory.keys.withUnsafeBufferPointer { k in
                    W.gradient.withUnsafeMutableBufferPointer { dw in
                        gemm(engine: engine, transA: true, m: out, n: K, k: rows, a: dp.baseAddress!, lda: out,
                             b: k.baseAddress!, ldb: K, beta: 1, c: dw.baseAddress!, ldc: K)
                    }
                }
                W.value.withUnsafeBufferPointer { w in
                    memory.dKeys.withUnsafeMutableBufferPointer { dk in
                        gemm(engine: engine, m: rows, n: K, k: out, a: dp.baseAddress!, lda: out,
                             b: w.baseAddress!, ldb: K, beta: 1, c: dk.baseAddress!, ldc: K)
                    }
                }
            }
        case .luongDot:
            memory.dKeys.withUnsafeMutableBufferPointer { dk in
                memory.dProjected.withUnsafeBufferPointer { dp in for i in 0..<dk.count { dk[i] += dp[i] } }
            }
        case .none:
            break
        }
        return memory.dKeys
    }
}

/// `x . y` over `count` elements, eight lanes at a time.
@inline(__always)
private func dot8<Scalar: RecurScalar>(_ x: UnsafePointer<Scalar>, _ y: UnsafePointer<Scalar>, count: Int) -> Scalar {
    var sum = SIMD8<Scalar>(repeating: 0)
    var i = 0
    while i < count {
        let n = Swift.min(8, count - i)
        sum += load8(x + i, count: n) * load8(y + i, count: n)
        i += 8
    }
    return sum.sum()
}

/// `y += alpha x` over `count` elements, eight lanes at a time.
@inline(__always)
private func axpy8<Scalar: RecurScalar>(_ alpha: Scalar, _ x: UnsafePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>, count: Int) {
    var i = 0
    while i < count {
        let n = Swift.min(8, count - i)
        store8(load8(y + i, count: n) + alpha * load8(x + i, count: n), y + i, count: n)
        i += 8
    }
}
