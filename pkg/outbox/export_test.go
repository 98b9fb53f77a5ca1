package outbox

// ObserveRelayed sets a hook called for each enqueued delivery with its event id and creation
// time (benchmarks measure the commit→enqueued lag with it).
func ObserveRelayed(o *Outbox, f func(eventID, createdMS int64)) { o.onRelayed = f }
