/** `ask`: answers "what did we decide about X, and why?" from the team's memory, with citations. */
export { answer, retrieve, searchText, type Answer, type AskCitation, type AskOptions, type AskRequest, type AskScope, type AskStore, type EvidenceList, type Retrieval } from './answer';
export { ExtractiveSynthesizer, extractSentences, type AnswerSentence, type Passage, type SynthesisInput, type Synthesizer } from './extractive';
export { namedSpeakers, rankTurns, RANK_DEFAULTS, type RankedTurn, type RankExplain, type RankParams, type RankTurn } from './rank';
export { Bm25Index, BM25_DEFAULTS, type Bm25Params } from './bm25';
export { contentTerms, queryTerms, queryWeights, questionIntent, sentencesOf, stem, stripAnnotations, words, type QuestionIntent } from './text';
