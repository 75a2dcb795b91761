/// The text `recur demo` learns when no file is given: a short piece written for this project.
let demoText = """
A recurrent network reads a sequence one step at a time. At every step it takes the new input and \
the state it carried from the step before, and it writes a new state. The same weights serve every \
step, so a network that has learned to read one line can read the next one, and the one after that.

To teach it, we show it text and ask it to guess the next character. When it guesses wrong, the \
error flows back through the steps it took, from the last one to the first. This is \
backpropagation through time. The further back the error travels, the weaker it may grow, or the \
stronger, until it bursts. So we clip the gradient when it is too large, and we use gates.

The long short-term memory keeps a cell beside its state. An input gate decides what to write to \
the cell, a forget gate decides what to keep, and an output gate decides what to show. The gated \
recurrent unit does the same work with two gates, a reset gate and an update gate, and it is a \
little cheaper to run.

When the network has read enough, we let it write. We give it a few characters to start, it guesses \
the next one, and we feed its guess back as the next input. A low temperature makes it careful and \
plain; a high temperature makes it bold and strange. Either way it writes one character at a time, \
the way it learned to read.

A deep network stacks one recurrent layer on another. A bidirectional network reads the sequence \
twice, once forwards and once backwards, and joins what both readings saw. A long text is cut into \
short pieces; the state flows on from one piece to the next, but the error stops at the edge of \
each piece. That is truncated backpropagation through time, and it is how long texts are learned.

"""
