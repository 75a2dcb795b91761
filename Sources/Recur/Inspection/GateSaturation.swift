/// How often each gate unit is shut or wide open (Karpathy, Johnson and Fei-Fei 2015, figure 3): for
/// every sigmoid gate (LSTM input, forget, output; GRU reset, update) and unit, the fraction of steps
/// it spends left-saturated (activation below 0.1) and right-saturated (above 0.9). A forget gate unit
/// near the top left remembers nearly always: an integrator over long spans; one near the bottom right
/// forgets at nearly every step. The tanh candidates are left out: they do not open or close.
public struct GateSaturation: Sendable {
    public struct Gate: Sendable {
        public let name: String
        /// Per unit: the fraction of steps below `low`.
        public let left: [Double]
        /// Per unit: the fraction of steps above `high`.
        public let right: [Double]
    }

    public static let low: Float = 0.1
    public static let high: Float = 0.9

    /// Per layer, the sigmoid gates in the trace's order.
    public let layers: [[Gate]]

    public init(_ trace: ActivationTrace) {
        let names = trace.gateNames, G = names.count, H = trace.hiddenSize, T = trace.steps
        layers = (0..<trace.layerCount).map { l in
            names.enumerated().filter { $0.element.isSigmoid }.map { g, gate in
                var left = [Int](repeating: 0, count: H), right = [Int](repeating: 0, count: H)
                trace.gates[l].withUnsafeBufferPointer { values in
                    for t in 0..<T {
                        let row = values.baseAddress! + (t * G + g) * H
                        for u in 0..<H {
                            if row[u] < Self.low { left[u] += 1 } else if row[u] > Self.high { right[u] += 1 }
                        }
                    }
                }
                let steps = Double(max(T, 1))
                return Gate(name: gate.name, left: left.map { Double($0) / steps }, right: right.map { Double($0) / steps })
            }
        }
    }
}
