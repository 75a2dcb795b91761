import Testing
import Recur

/// The README's library example, kept compiling and checked.
struct ReadmeExampleTests {
    @Test("the README example runs and gives the shapes it promises")
    func example() {
        var generator = RandomGenerator(seed: 42)
        let lstm = LSTM<Float>(inputSize: 8, hiddenSize: 32, layers: 2, bidirectional: true, dropout: 0.1,
                               using: &generator)
        let x = Tensor<Float>(shape: [20, 4, 8], repeating: 0.5)
        let (y, state) = lstm.forward(x, lengths: [20, 17, 9, 3])
        let (dx, dState) = lstm.backward(outputGradient: Tensor(shape: y.shape, repeating: 1))
        let before = lstm.parameters.map(\.value)
        GradientClipping.clipByGlobalNorm(lstm.parameters, maxNorm: 5)
        Adam(parameters: lstm.parameters, learningRate: 1e-3).step()
        lstm.zeroGradients()
        #expect(y.shape == [20, 4, 64])
        #expect(state.h.shape == [4, 4, 32] && state.c?.shape == [4, 4, 32])
        #expect(dx.shape == [20, 4, 8] && dState.h.shape == [4, 4, 32])
        #expect(lstm.parameters.map(\.value) != before)
        #expect(lstm.parameters.allSatisfy { $0.gradient.scalars.allSatisfy { $0 == 0 } })
    }
}
