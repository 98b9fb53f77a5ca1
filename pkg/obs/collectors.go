package obs

// LagBuckets are the histogram buckets, in seconds, of Vanguard's lag metrics (a submitted
// attempt waiting for its grade, a committed event waiting for its relay): from 10 ms, the
// usual relay, through seconds, the usual grading, to 10 minutes, an exam-end peak or a stuck
// worker. Everything slower lands in +Inf, which is already an alert.
var LagBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}
