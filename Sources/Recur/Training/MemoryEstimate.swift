import RecurCore

extension CharRNNConfiguration {
    /// About how many bytes training this model on `[steps, batch]` chunks allocates: parameters with
    /// their gradients and two optimiser moments (Adam's, the most any optimiser keeps) and a checkpoint's
    /// encoding; per layer the forward caches and backward workspaces of `RecurrentLayer` and
    /// `RecurrentNetwork`; the embedding output, logits and their gradients. Used to refuse a run
    /// whose buffers cannot fit before any of them is allocated.
    public func trainingBytes(batch: Int, steps: Int) -> Double {
        let T = Double(steps), B = Double(batch), H = Double(hiddenSize), E = Double(embeddingSize)
        let V = Double(vocabulary.count), G = Double(cell.gateCount)
        let parameters = tensorShapes.reduce(0.0) { $0 + Double($1.shape.reduce(1, *)) }
        var floats = 6 * parameters
        for l in 0..<layers {
            let I = l == 0 ? E : H
            floats += (T + 1) * B * H * (cell == .lstm ? 2 : 1)    // states (and cells)
            floats += 2 * T * B * G * H                             // gates, dGates
            floats += T * B * H * (cell == .lstm ? 1 : cell == .gru ? 4 : 0)  // tanh(c) or the GRU cache
            if cell == .gru { floats += T * B * G * H + B * G * H } // dHiddenGates, hidden gates
            floats += 3 * B * H + I * G * H                         // dh, dc, dhPrev, dW_ih^T
            floats += 3 * T * B * H + 2 * T * B * I                 // outputs, output gradients, input gradients
        }
        floats += T * B * E + 2 * T * B * V + T * B * H             // embedded input, logits and gradient, dHidden
        return floats * Double(MemoryLayout<Float>.size)
    }
}
