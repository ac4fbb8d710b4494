package store

// PieceRows is how many rows of a submission commit at once, for the tests.
const PieceRows = stagedRows
