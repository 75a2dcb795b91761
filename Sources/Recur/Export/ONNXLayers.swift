import RecurCore

/// Recur's layers written as ONNX nodes: the embedding as `Gather`, linear maps as `MatMul` + `Add`
/// over the last axis, a recurrent network as one ONNX `LSTM`, `GRU` or `RNN` node per layer (both
/// directions in one node), a single-step cell as the same operator over one step, and attention.
///
/// Gate orders: Recur keeps PyTorch's (LSTM i, f, g, o; GRU r, z, n); ONNX's LSTM is i, o, f, c and
/// its GRU z, r, h, so the weights' row blocks are reordered on the way out (nothing is computed,
/// so the values are exact). PyTorch's GRU applies the reset gate after the recurrent product:
/// ONNX's `linear_before_reset = 1`. Each weight is stored once however often the graph uses it.
extension ONNXGraph {
    /// Ids `[...]` (int64) through an embedding table: `[..., E]`.
    mutating func embedding(_ ids: String, _ layer: Embedding<Float>) -> String {
        let table = once(layer.weight, "table") { $0.weight("embedding", layer.weight.value.scalars, shape: [layer.vocabularySize, layer.embeddingSize]) }
        return node("Gather", [table, ids], [.int("axis", 0)])[0]
    }

    /// `[O, I]` weights as the `[I, O]` right operand of a MatMul.
    mutating func transposed(_ parameter: Parameter<Float>, name: String) -> String {
        once(parameter, "transposed") { graph in
            let t = parameter.value.transposed()
            return graph.weight(name + "_t", t.scalars, shape: t.shape)
        }
    }

    /// A vector parameter (a bias) as it is.
    mutating func vector(_ parameter: Parameter<Float>, name: String) -> String {
        once(parameter, "vector") { $0.weight(name, parameter.value.scalars, shape: parameter.value.shape) }
    }

    /// `x W^T + b` over the last axis of `x` (any rank).
    mutating func linear(_ x: String, _ layer: Linear<Float>, name: String = "linear") -> String {
        let product = apply("MatMul", x, transposed(layer.weight, name: name + "_weight"))
        guard let bias = layer.bias else { return product }
        return apply("Add", product, vector(bias, name: name + "_bias"))
    }

    /// The ONNX operator and attributes of a cell kind over D directions.
    private static func recurrentOperator(_ cell: CellKind, hiddenSize H: Int, directions D: Int) -> (op: String, attributes: [Attribute]) {
        var attributes: [Attribute] = [.int("hidden_size", H)]
        if D == 2 { attributes.append(.string("direction", "bidirectional")) }
        switch cell {
        case .lstm: return ("LSTM", attributes)
        case .gru: return ("GRU", attributes + [.int("linear_before_reset", 1)])
        case .rnnTanh, .rnnReLU:
            return ("RNN", attributes + [.strings("activations", Array(repeating: cell == .rnnTanh ? "Tanh" : "Relu", count: D))])
        }
    }

    /// W `[D, G*H, I]`, R `[D, G*H, H]` and B `[D, 2*G*H]` of one layer's directions (each given as
    /// its four PyTorch parameters), written once.
    private mutating func recurrentWeights(_ directions: [(weightIH: Parameter<Float>, weightHH: Parameter<Float>, biasIH: Parameter<Float>, biasHH: Parameter<Float>)],
                                           cell: CellKind, hiddenSize H: Int, name: String) -> [String] {
        let D = directions.count, G = cell.gateCount, I = directions[0].weightIH.value.shape[1]
        let w = once(directions[0].weightIH, "W") { graph in
            graph.weight(name + "_W", directions.flatMap { CellKind.reorderingGates($0.weightIH.value, cell.onnxGateOrder).scalars }, shape: [D, G * H, I])
        }
        let r = once(directions[0].weightHH, "R") { graph in
            graph.weight(name + "_R", directions.flatMap { CellKind.reorderingGates($0.weightHH.value, cell.onnxGateOrder).scalars }, shape: [D, G * H, H])
        }
        let b = once(directions[0].biasIH, "B") { graph in
            graph.weight(name + "_B", directions.flatMap {
                CellKind.reorderingGates($0.biasIH.value, cell.onnxGateOrder).scalars + CellKind.reorderingGates($0.biasHH.value, cell.onnxGateOrder).scalars
            }, shape: [D, 2 * G * H])
        }
        return [w, r, b]
    }

    /// One layer's state: h and c (LSTM), `[D, B, H]` (ONNX's `Y_h`, `Y_c`) or `[B, H]` for a cell.
    typealias State = (h: String, c: String?)

    /// A stacked, optionally bidirectional network over `x` `[T, B, I]`: the top layer's outputs
    /// `[T, B, D*H]` (zero past each row's length when lengths are given) and each layer's final state.
    /// - Parameters:
    ///   - lengths: int32 `[B]` sequence lengths (ONNX's `sequence_lens`), or nil: every row runs T steps.
    ///   - initial: each layer's initial state `[D, B, H]` (nil: zero).
    mutating func recurrent(_ x: String, _ network: RecurrentNetwork<Float>, lengths: String? = nil,
                            initial: [State]? = nil) -> (output: String, final: [State]) {
        let cell = network.cell, H = network.hiddenSize, D = network.directionCount
        let (op, attributes) = Self.recurrentOperator(cell, hiddenSize: H, directions: D)
        var input = x, final: [State] = []
        for (l, directions) in network.layers.enumerated() {
            let weights = recurrentWeights(directions.map { ($0.weightIH, $0.weightHH, $0.biasIH, $0.biasHH) },
                                           cell: cell, hiddenSize: H, name: "\(op.lowercased())_l\(l)")
            var inputs = weights + [lengths ?? "", initial?[l].h ?? ""]
            if cell == .lstm { inputs.append(initial?[l].c ?? "") }
            let outputs = node(op, [input] + Self.trimmed(inputs), outputs: cell == .lstm ? 3 : 2, attributes)
            final.append((outputs[1], cell == .lstm ? outputs[2] : nil))
            // Y [T, D, B, H] -> [T, B, D*H], the next layer's input (directions side by side, as Recur's).
            if D == 1 {
                input = apply("Squeeze", outputs[0], integers([1]))
            } else {
                input = apply("Reshape", apply("Transpose", outputs[0], attributes: [.ints("perm", [0, 2, 1, 3])]), integers([0, 0, D * H]))
            }
        }
        return (input, final)
    }

    /// `[L*D, B, H]` h (and c) as each layer's `[D, B, H]` state.
    mutating func layerStates(h: String, c: String?, layers: Int, directions D: Int = 1) -> [State] {
        (0..<layers).map { l in (slice(h, axis: 0, from: l * D, to: (l + 1) * D), c.map { slice($0, axis: 0, from: l * D, to: (l + 1) * D) }) }
    }

    /// Each layer's `[D, B, H]` state joined into `[L*D, B, H]` h (and c): Recur's and PyTorch's `h_n`.
    mutating func joined(_ states: [State]) -> State {
        (concat(states.map(\.h), axis: 0), states[0].c == nil ? nil : concat(states.map { $0.c! }, axis: 0))
    }

    /// One-direction layer states `[1, B, H]` as single-step cells' `[B, H]`.
    mutating func cellStates(_ states: [State]) -> [State] {
        states.map { (apply("Squeeze", $0.h, integers([0])), $0.c.map { apply("Squeeze", $0, integers([0])) }) }
    }

    /// One step of a single-step cell: input `[B, I]`, state `[B, H]` -> the new h and c `[B, H]`.
    mutating func cellStep(_ x: String, _ cell: RecurrentCell<Float>, h: String, c: String?) -> (h: String, c: String?) {
        let (op, attributes) = Self.recurrentOperator(cell.cell, hiddenSize: cell.hiddenSize, directions: 1)
        let weights = recurrentWeights([(cell.weightIH, cell.weightHH, cell.biasIH, cell.biasHH)], cell: cell.cell,
                                       hiddenSize: cell.hiddenSize, name: "\(op.lowercased())_cell")
        let axis0 = integers([0])
        var inputs = [apply("Unsqueeze", x, axis0)] + weights + ["", apply("Unsqueeze", h, axis0)]
        if let c { inputs.append(apply("Unsqueeze", c, axis0)) }
        let outputs = node(op, inputs, outputs: c == nil ? 2 : 3, attributes)
        return (apply("Squeeze", outputs[1], axis0), c == nil ? nil : apply("Squeeze", outputs[2], axis0))
    }

    /// `[B, H]` states stacked into `[L, B, H]`.
    mutating func stacked(_ states: [String]) -> String {
        concat(states.map { apply("Unsqueeze", $0, integers([0])) }, axis: 0)
    }

    /// Optional inputs omitted at the end of a node's input list.
    private static func trimmed(_ inputs: [String]) -> [String] {
        var inputs = inputs
        while inputs.last == "" { inputs.removeLast() }
        return inputs
    }

    /// One value, or several joined along `axis`.
    mutating func concat(_ values: [String], axis: Int) -> String {
        values.count == 1 ? values[0] : node("Concat", values, [.int("axis", axis)])[0]
    }

    /// `x[from ..< to]` along `axis`.
    mutating func slice(_ x: String, axis: Int, from: Int, to: Int) -> String {
        node("Slice", [x, integers([from]), integers([to]), integers([axis])])[0]
    }

    /// int64 lengths `[B]` as ONNX's recurrent operators read them (int32).
    mutating func sequenceLengths(_ lengths: String) -> String {
        apply("Cast", lengths, attributes: [.int("to", Int(ElementType.int32.rawValue))])
    }

    /// `[T, B]` true where step t is within row b's length (int64 lengths `[B]`), for steps as many
    /// as `x`'s first axis.
    mutating func validSteps(_ x: String, lengths: String) -> String {
        let steps = apply("Gather", apply("Shape", x), integers([0], shape: []), attributes: [.int("axis", 0)])
        let range = apply("Range", integers([0], shape: []), steps, integers([1], shape: []))
        return apply("Less", apply("Unsqueeze", range, integers([1])), apply("Unsqueeze", lengths, integers([0])))
    }

    /// Attention of a query `[B, Q]` over keys `[S, B, K]` with int64 lengths `[B]`: the context
    /// `[B, K]` and the weights `[B, S]` (0 past each row's length), as `Attention.attend` computes them.
    mutating func attend(_ query: String, keys: String, lengths: String, _ attention: Attention<Float>) -> (context: String, weights: String) {
        let scores: String   // [S, B]
        switch attention.kind {
        case .bahdanau:
            let projectedKeys = apply("MatMul", keys, transposed(attention.keyWeight!, name: "attention_key"))       // [S, B, A]
            let bias = vector(attention.queryBias!, name: "attention_query_bias")
            let projectedQuery = apply("Add", apply("MatMul", query, transposed(attention.queryWeight!, name: "attention_query")), bias)  // [B, A]
            let hidden = apply("Tanh", apply("Add", projectedKeys, projectedQuery))
            scores = apply("Squeeze", apply("MatMul", hidden, transposed(attention.scoreWeight!, name: "attention_score")), integers([2]))
        case .luongDot, .luongGeneral:
            let projected = attention.kind == .luongDot ? keys : apply("MatMul", keys, transposed(attention.keyWeight!, name: "attention_weight"))
            scores = apply("ReduceSum", apply("Mul", projected, query), integers([2]), attributes: [.int("keepdims", 0)])
        case .none:
            preconditionFailure("ONNXGraph.attend: no attention")
        }
        let masked = apply("Where", validSteps(keys, lengths: lengths), scores, scalar(-.infinity))
        let weights = apply("Softmax", apply("Transpose", masked, attributes: [.ints("perm", [1, 0])]), attributes: [.int("axis", 1)])
        // context[b] = sum_j weights[b, j] keys[j, b]: [B, 1, S] x [B, S, K] -> [B, 1, K].
        let batchMajor = apply("Transpose", keys, attributes: [.ints("perm", [1, 0, 2])])
        let context = apply("MatMul", apply("Unsqueeze", weights, integers([1])), batchMajor)
        return (apply("Squeeze", context, integers([1])), weights)
    }
}
