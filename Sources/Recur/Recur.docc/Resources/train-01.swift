import Foundation
import Recur

// The text to learn from, and an id for every character in it.
let text = String(repeating: "To be, or not to be, that is the question. ", count: 200)
let vocabulary = Vocabulary(text: text)
let ids = try vocabulary.encode(text)
