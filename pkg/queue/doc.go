// Package queue is the Asynq plumbing every Vanguard service reuses for its background work
// (media:probe, quiz:grade, quiz:autosubmit, growth:compile …):
//
//   - Server runs a service's task handlers as a Kratos transport server, with panic recovery
//     and failure logging;
//   - Client enqueues idempotently: a task carrying the conventional TaskID is queued at most
//     once (see Client for the conventions on task types, queue names, constructors and
//     payloads);
//   - Reconciler refills the queue from the database, the source of truth, at start and
//     periodically, so a queue that lost its tasks (embedded Redis restarted) loses no work;
//   - MonitorHandler mounts the asynqmon web UI for admins.
//
// A worker binary wires them like this:
//
//	srv, err := queue.NewServer(redisOpt, queue.Config{Queues: map[string]int{course.Queue: 1}}, logger)
//	srv.Handle(course.TypeProbe, probeHandler)
//	rec := queue.NewReconciler("course-media", time.Minute, uc.EnqueuePendingProbes, logger)
//	app := kratos.New(kratos.Name("course"), queue.Servers(httpSrv, grpcSrv, srv, rec))
//
// Standalone mode points redisOpt at pkg/embedredis; production at a real Redis.
package queue
