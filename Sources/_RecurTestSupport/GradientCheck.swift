import Recur
