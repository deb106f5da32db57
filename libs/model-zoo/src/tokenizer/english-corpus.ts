/**
 * The text the replica's byte-level BPE vocabulary is learned from: plain English about writing,
 * models and the weather, so common words, suffixes and punctuation get merges of their own.
 * Changing it changes every id of the generated tokenizer.
 */
export const ENGLISH_CORPUS = `The quick brown fox jumps over the lazy dog. The dog does not mind; it has seen the fox before.
This is a short text written by a person. It was written in the morning, before the rain started.
Language models write text that reads well, but they often repeat the same phrases and ideas.
A detector reads the text in windows of tokens and gives the probability that a machine wrote it.
When the text is longer than the window, the detector reads it again from a later position.
The windows overlap, so every sentence is read with some of the words around it.
People write with mistakes, changes of mind and long sentences that wander; machines write evenly.
In the afternoon the weather changed. The wind came from the west and the sky turned grey.
We walked to the station and waited for the train, which was late again.
The report says that the results are encouraging, although more work is needed.
It is important to note that these findings are preliminary and should be interpreted with care.
In conclusion, the model performs well on the benchmark, and the authors plan to release the code.
There are many reasons why a student might write an essay in a hurry: time, pressure and habit.
I think that the best way to learn is to write every day, even when you have nothing to say.
She said that she would call tomorrow, but she never did, and nobody was surprised.
They were thinking about the future of the city, its streets, its parks and its people.
Writing is thinking on paper. Reading is listening to someone who thought before you.
The number 42 appears in the story 3 times, and the year 2024 appears twice: in 2024 and in 2024.
Can you tell whether this paragraph was generated? Some readers can; most readers cannot.
Don't worry, it's only a test. We're almost done, and you'll see the results soon.
The experiment was repeated ten times, and the average of the measurements was reported.
Generated text is fluent and confident. Human text is uneven, personal and sometimes wrong.
`;
