// What a browser may import (the text detector's client page): plain functions without Node modules.
export { DEFAULT_WINDOW_OVERLAP, specialTokensOf, tokenWindows, windowCapacity, type SpecialTokens, type TokenWindow, type WindowPlan } from './text-windows';
export { aggregateWindows, machineLabelIndex, softmax, textVerdict, type TextVerdict, type WindowProbabilities } from './detection-maths';
