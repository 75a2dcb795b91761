import Foundation
import RecurCore
import ZIPFoundation

/// A Keras 3 model as Recur reads it: the chain of layers (Embedding, SimpleRNN / LSTM / GRU,
/// Bidirectional, Dense; Input and Dropout pass) with each layer's settings and weights.
///
/// From a `.keras` file (a zip of `config.json` and `model.weights.h5`) the layers, their order and
/// settings come from the configuration. A `.weights.h5` file holds only the weights, under
/// `layers/<name>/vars/<i>` (Embedding, Dense) and `layers/<name>/[forward_layer|backward_layer/]cell/vars/<i>`
/// (recurrent layers): the kinds are read from the weights' shapes, the order from Keras's default
/// names (`lstm`, `lstm_1`, ...: creation order), and the settings are Keras's defaults.
struct KerasModelFile {
    struct Recurrent {
        var name: String
        /// `LSTM`, `GRU` or `SimpleRNN`.
        var kind: String
        var units: Int
        var activation: String
        var recurrentActivation: String?
        var returnSequences: Bool
        var bidirectional: Bool
        var resetAfter: Bool
        /// Per direction (forward, then backward): kernel `[I, G*H]`, recurrent kernel `[H, G*H]`,
        /// bias (`[G*H]`; the GRU with reset_after `[2, G*H]`), nil without bias.
        var weights: [(kernel: Tensor<Float>, recurrent: Tensor<Float>, bias: Tensor<Float>?)]
    }

    enum Layer {
        case embedding(name: String, table: Tensor<Float>)
        case recurrent(Recurrent)
        case dense(name: String, activation: String, kernel: Tensor<Float>, bias: Tensor<Float>?)
    }

    var layers: [Layer]
    /// Whether the layers and settings came from the model's configuration (a `.keras` file).
    var hasConfiguration: Bool

    typealias Problem = HDF5File.Problem

    /// Reads a `.keras` file or a `.weights.h5` file (told apart by their contents).
    init(path: String) throws(Problem) {
        let url = URL(fileURLWithPath: path)
        if let archive = try? Archive(url: url, accessMode: .read, pathEncoding: nil) {
            guard let configEntry = archive["config.json"], let weightsEntry = archive["model.weights.h5"] else {
                throw Problem(description: "is a zip but not a .keras file (no config.json and model.weights.h5 in it)")
            }
            // The HDF5 library reads files: the weights are unpacked into a temporary one.
            let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("recur-keras-\(UUID().uuidString).h5")
            defer { try? FileManager.default.removeItem(at: temporary) }
            var configData = Data()
            do {
                _ = try archive.extract(configEntry) { configData.append($0) }
                _ = try archive.extract(weightsEntry, to: temporary)
            } catch {
                throw Problem(description: "could not be unpacked: \(error)")
            }
            guard let config = try? JSONSerialization.jsonObject(with: configData) as? [String: Any] else {
                throw Problem(description: "has a config.json that is not a JSON object")
            }
            let weights = try HDF5File(path: temporary.path)
            layers = try Self.layers(config: config, weights: weights)
            hasConfiguration = true
        } else {
            let weights: HDF5File
            do {
                weights = try HDF5File(path: path)
            } catch {
                throw error.isNotHDF5 ? Problem(description: "is neither a .keras file nor a Keras .weights.h5 file") : error
            }
            layers = try Self.layers(weights: weights)
            hasConfiguration = false
        }
    }

    // MARK: From the configuration

    private static func layers(config: [String: Any], weights: HDF5File) throws(Problem) -> [Layer] {
        guard let modelConfig = config["config"] as? [String: Any], let list = modelConfig["layers"] as? [[String: Any]] else {
            throw Problem(description: "has a config.json without a list of layers (a Sequential or Functional model)")
        }
        var layers: [Layer] = []
        var used: [String: Int] = [:]
        for entry in list {
            let className = entry["class_name"] as? String ?? "?"
            let settings = entry["config"] as? [String: Any] ?? [:]
            let name = settings["name"] as? String ?? "?"
            // Keras 3 files a layer's weights under its class in snake case, numbered per class in
            // the model's layer order (`gru`, `gru_1`), not under the layer's name.
            let key = snakeCase(className), count = used[key].map { $0 + 1 } ?? 0
            used[key] = count
            let base = "layers/" + (count == 0 ? key : "\(key)_\(count)")
            switch className {
            case "InputLayer", "Dropout", "SpatialDropout1D", "GaussianNoise", "ActivityRegularization":
                continue   // nothing at inference
            case "Embedding":
                layers.append(.embedding(name: name, table: try weights.tensor("\(base)/vars/0")))
            case "LSTM", "GRU", "SimpleRNN":
                layers.append(.recurrent(try recurrent(className, settings, bidirectional: false, weights: weights, base: base)))
            case "Bidirectional":
                guard let inner = settings["layer"] as? [String: Any], let innerClass = inner["class_name"] as? String,
                      let innerSettings = inner["config"] as? [String: Any] else {
                    throw Problem(description: "layer '\(name)' (Bidirectional) has no wrapped layer in its configuration")
                }
                let merge = settings["merge_mode"] as? String ?? "null"
                guard merge == "concat" else {
                    throw Problem(description: "layer '\(name)' merges its directions with merge_mode '\(merge)'; Recur puts them side by side (merge_mode 'concat')")
                }
                guard ["LSTM", "GRU", "SimpleRNN"].contains(innerClass) else {
                    throw Problem(description: "layer '\(name)' wraps a \(innerClass), not an LSTM, GRU or SimpleRNN")
                }
                var layer = try recurrent(innerClass, innerSettings, bidirectional: true, weights: weights, base: base)
                layer.name = name
                layers.append(.recurrent(layer))
            case "Dense":
                let activation = settings["activation"] as? String ?? "linear"
                let useBias = settings["use_bias"] as? Bool ?? true
                layers.append(.dense(name: name, activation: activation, kernel: try weights.tensor("\(base)/vars/0"),
                                     bias: useBias ? try weights.tensor("\(base)/vars/1") : nil))
            default:
                throw Problem(description: "layer '\(name)' is a \(className); Recur imports Embedding -> SimpleRNN/LSTM/GRU (stacked, Bidirectional) -> Dense models")
            }
        }
        return layers
    }

    /// Keras's `to_snake_case` of a class name: `SimpleRNN` -> `simple_rnn`, `LSTM` -> `lstm`.
    static func snakeCase(_ name: String) -> String {
        let characters = Array(name)
        var out = ""
        for (i, c) in characters.enumerated() {
            let previous = i > 0 ? characters[i - 1] : nil, next = i + 1 < characters.count ? characters[i + 1] : nil
            // A word starts at an upper-case letter followed by a lower-case one, or after a lower-case letter.
            if c.isUppercase, let previous, (next?.isLowercase ?? false) || previous.isLowercase { out.append("_") }
            out.append(c)
        }
        return out.lowercased()
    }

    /// A recurrent layer's settings (checked) and weights.
    private static func recurrent(_ kind: String, _ settings: [String: Any], bidirectional: Bool, weights: HDF5File,
                                  base: String) throws(Problem) -> Recurrent {
        let name = settings["name"] as? String ?? "?"
        let activation = settings["activation"] as? String ?? "tanh"
        let recurrentActivation = kind == "SimpleRNN" ? nil : settings["recurrent_activation"] as? String ?? "sigmoid"
        let allowed = kind == "SimpleRNN" ? ["tanh", "relu"] : ["tanh"]
        guard allowed.contains(activation) else {
            throw Problem(description: "layer '\(name)' (\(kind)) uses activation '\(activation)'; Recur's \(kind == "SimpleRNN" ? "RNN is tanh or relu" : "cells use tanh")")
        }
        if let recurrentActivation, recurrentActivation != "sigmoid" {
            throw Problem(description: "layer '\(name)' (\(kind)) uses recurrent_activation '\(recurrentActivation)'; Recur's gates are the logistic sigmoid")
        }
        if settings["go_backwards"] as? Bool == true {
            throw Problem(description: "layer '\(name)' (\(kind)) reads its input backwards (go_backwards); wrap it in Bidirectional instead")
        }
        let resetAfter = kind == "GRU" ? settings["reset_after"] as? Bool ?? true : false
        if kind == "GRU" && !resetAfter {
            throw Problem(description: "layer '\(name)' is a GRU with reset_after=False (the reset gate before the recurrent product), which Recur's GRU (PyTorch's, reset_after=True) cannot represent")
        }
        let directionWeights = try Self.directionWeights(weights, base: base, bidirectional: bidirectional,
                                                         bias: settings["use_bias"] as? Bool ?? true)
        let units = settings["units"] as? Int ?? -1
        try checkShapes(directionWeights, name: name, kind: kind, units: units)
        return Recurrent(name: name, kind: kind, units: units,
                         activation: activation, recurrentActivation: recurrentActivation,
                         returnSequences: settings["return_sequences"] as? Bool ?? false, bidirectional: bidirectional,
                         resetAfter: resetAfter, weights: directionWeights)
    }

    /// Refuses weights whose shapes are not those of a `kind` layer of `units` units: kernels
    /// `[I, G*H]`, recurrent kernels `[H, G*H]`, biases `[G*H]` (the GRU's `[2, G*H]`), one input width.
    private static func checkShapes(_ directions: [(kernel: Tensor<Float>, recurrent: Tensor<Float>, bias: Tensor<Float>?)],
                                    name: String, kind: String, units H: Int) throws(Problem) {
        let G = kind == "LSTM" ? 4 : kind == "GRU" ? 3 : 1
        for d in directions {
            let biasOK = d.bias.map { $0.shape == (kind == "GRU" ? [2, G * H] : [G * H]) } ?? true
            guard H >= 1, d.kernel.rank == 2, d.kernel.shape[0] >= 1, d.kernel.shape[1] == G * H,
                  d.kernel.shape[0] == directions[0].kernel.shape[0], d.recurrent.shape == [H, G * H], biasOK else {
                throw Problem(description: "layer '\(name)' has weights of shapes \(d.kernel.shape), \(d.recurrent.shape), \(d.bias.map { "\($0.shape)" } ?? "no bias"), not those of a \(kind) of \(H) units")
            }
        }
    }

    /// A recurrent layer's kernel, recurrent kernel and bias per direction (forward, then backward),
    /// under `base/[forward_layer|backward_layer/]cell/vars/<i>`; `bias` nil: read it when present.
    private static func directionWeights(_ weights: HDF5File, base: String, bidirectional: Bool,
                                         bias: Bool?) throws(Problem) -> [(kernel: Tensor<Float>, recurrent: Tensor<Float>, bias: Tensor<Float>?)] {
        var all: [(kernel: Tensor<Float>, recurrent: Tensor<Float>, bias: Tensor<Float>?)] = []
        for direction in bidirectional ? ["forward_layer/", "backward_layer/"] : [""] {
            let vars = "\(base)/\(direction)cell/vars/"
            let hasBias = bias ?? (weights.children(of: vars) ?? []).contains("2")
            all.append((try weights.tensor(vars + "0"), try weights.tensor(vars + "1"), hasBias ? try weights.tensor(vars + "2") : nil))
        }
        return all
    }

    // MARK: From the weights alone

    /// The layers of a `.weights.h5` file: kinds from the shapes, order from Keras's names.
    private static func layers(weights: HDF5File) throws(Problem) -> [Layer] {
        guard let names = weights.children(of: "layers"), !names.isEmpty else {
            throw Problem(description: "is an HDF5 file without Keras 3's layers/ group (save it with Keras 3's model.save or save_weights)")
        }
        /// Keras names layers `kind`, `kind_1`, `kind_2`, ... in creation order.
        func order(_ name: String) -> (String, Int) {
            if let underscore = name.lastIndex(of: "_"), let number = Int(name[name.index(after: underscore)...]) {
                return (String(name[..<underscore]), number)
            }
            return (name, 0)
        }
        var embeddings: [Layer] = [], recurrents: [(Int, Recurrent)] = [], denses: [Layer] = []
        var recurrentKinds = Set<String>()
        for name in names {
            let base = "layers/\(name)"
            let children = weights.children(of: base) ?? []
            if children.contains("cell") || children.contains("forward_layer") {
                let bidirectional = children.contains("forward_layer")
                let directionWeights = try directionWeights(weights, base: base, bidirectional: bidirectional, bias: nil)
                let kernel = directionWeights[0].kernel, recurrent = directionWeights[0].recurrent
                guard kernel.rank == 2, recurrent.rank == 2, recurrent.shape[0] > 0, kernel.shape[1] % recurrent.shape[0] == 0 else {
                    throw Problem(description: "layer '\(name)' has weights of shapes \(kernel.shape), \(recurrent.shape), not a recurrent layer's")
                }
                let units = recurrent.shape[0]
                let kind: String
                switch kernel.shape[1] / units {
                case 4: kind = "LSTM"
                case 3: kind = "GRU"
                case 1: kind = "SimpleRNN"
                default: throw Problem(description: "layer '\(name)' has \(kernel.shape[1] / units) gate blocks, not an LSTM's 4, a GRU's 3 or a SimpleRNN's 1")
                }
                if kind == "GRU", let bias = directionWeights[0].bias, bias.rank != 2 {
                    throw Problem(description: "layer '\(name)' is a GRU with reset_after=False (one bias row), which Recur's GRU (PyTorch's, reset_after=True) cannot represent")
                }
                try checkShapes(directionWeights, name: name, kind: kind, units: units)
                recurrentKinds.insert(order(name).0)
                recurrents.append((order(name).1, Recurrent(name: name, kind: kind, units: units, activation: "tanh",
                                                           recurrentActivation: kind == "SimpleRNN" ? nil : "sigmoid", returnSequences: true,
                                                           bidirectional: bidirectional, resetAfter: kind == "GRU", weights: directionWeights)))
            } else if children.contains("vars") {
                let vars = weights.children(of: "\(base)/vars") ?? []
                if name.hasPrefix("embedding") && Set(vars) == ["0"] {
                    embeddings.append(.embedding(name: name, table: try weights.tensor("\(base)/vars/0")))
                } else if name.hasPrefix("dense") && (Set(vars) == ["0"] || Set(vars) == ["0", "1"]) {
                    denses.append(.dense(name: name, activation: "linear", kernel: try weights.tensor("\(base)/vars/0"),
                                         bias: vars.count == 2 ? try weights.tensor("\(base)/vars/1") : nil))
                } else if !vars.isEmpty {
                    throw Problem(description: "layer '\(name)' is not an Embedding, a recurrent layer or a Dense by its name and weights; give the .keras file, whose configuration says what each layer is")
                }
            }
        }
        guard embeddings.count <= 1, denses.count == 1, !recurrents.isEmpty else {
            throw Problem(description: "holds \(embeddings.count) embeddings, \(recurrents.count) recurrent layers and \(denses.count) Dense layers; without its configuration Recur reads at most one Embedding, then recurrent layers, then one Dense (give the .keras file)")
        }
        guard recurrentKinds.count == 1 else {
            throw Problem(description: "holds recurrent layers named \(recurrentKinds.sorted().joined(separator: ", ")), whose order the weights alone do not give; give the .keras file")
        }
        return embeddings + recurrents.sorted { $0.0 < $1.0 }.map { .recurrent($0.1) } + denses
    }
}
