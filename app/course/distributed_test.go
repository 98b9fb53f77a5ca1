package course_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-kratos/kratos/v2/log"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	orgv1 "github.com/vanguard/vanguard/api/org/v1"
	"github.com/vanguard/vanguard/app/course"
	"github.com/vanguard/vanguard/app/org"
	"github.com/vanguard/vanguard/pkg/authn"
	"github.com/vanguard/vanguard/pkg/blob/minioblob"
	"github.com/vanguard/vanguard/pkg/blob/miniotest"
	"github.com/vanguard/vanguard/pkg/clock"
	"github.com/vanguard/vanguard/pkg/kit"
	"github.com/vanguard/vanguard/pkg/obs"
	"github.com/vanguard/vanguard/pkg/queue"
	"github.com/vanguard/vanguard/pkg/secret"
	"github.com/vanguard/vanguard/pkg/testdb"
)

func TestMain(m *testing.M) { os.Exit(miniotest.Run(m)) }

// redisDB returns a real Redis (DB 12, flushed) or skips/fails like the other service tests.
func redisDB(t *testing.T) asynq.RedisClientOpt {
	t.Helper()
	opt := asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: 12}
	c := redis.NewClient(&redis.Options{Addr: opt.Addr, DB: opt.DB})
	defer c.Close()
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		if os.Getenv("VANGUARD_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("Redis is required: %v", err)
		}
		t.Skipf("Redis unreachable: %v", err)
	}
	return opt
}

type client struct {
	t    *testing.T
	base string
}

func (c client) call(method, path, token string, body any) (int, map[string]any, string) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	return res.StatusCode, m, string(raw)
}

func (c client) ok(method, path, token string, body any) map[string]any {
	c.t.Helper()
	status, m, raw := c.call(method, path, token, body)
	if status != 200 {
		c.t.Fatalf("%s %s = %d: %s", method, path, status, raw)
	}
	return m
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// TestDistributedCourseOnMinIO runs the distributed shape: org and course as separate services on
// their own PostgreSQL databases, course calling org over gRPC with the caller's token and taking
// the token key from org's GetPublicKey, lecture media on a real MinIO server through presigned
// part URLs, media:probe on a real Redis.
func TestDistributedCourseOnMinIO(t *testing.T) {
	endpoint, ak, sk := miniotest.Start(t)
	redisOpt := redisDB(t)
	ctx := context.Background()
	logger := log.NewFilter(obs.NewLogger(io.Discard, "test"))
	clk := clock.Real{}

	// org service
	key, _ := authn.GenerateKey()
	keyPEM, _ := authn.MarshalPrivateKeyPEM(key)
	om, err := org.New(org.Config{DatabaseDriver: "postgres", DatabaseDSN: testdb.Postgres(t), SigningKeyPEM: keyPEM,
		IDKey: bytes.Repeat([]byte{3}, 32), Argon2: secret.Argon2Params{MemoryKiB: 256, Iterations: 1, Parallelism: 1}}, logger, clk)
	if err != nil {
		t.Fatal(err)
	}
	defer om.Close()
	if err := om.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := om.Bootstrap(ctx, "Admin-pass-2026"); err != nil {
		t.Fatal(err)
	}
	ohs, ogs, err := kit.NewServers(kit.Options{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
		Verifier: authn.NewVerifier(clk, om.Signer().PublicKey()), PublicOperations: om.PublicOperations(),
		Logger: logger, Metrics: obs.NewMetrics()})
	if err != nil {
		t.Fatal(err)
	}
	om.RegisterHTTP(ohs)
	om.RegisterGRPC(ogs)
	orgHTTP := httptest.NewServer(ohs)
	defer orgHTTP.Close()
	grpcURL, err := ogs.Endpoint()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = ogs.Start(ctx) }()
	defer ogs.Stop(ctx)

	// course service
	store, err := minioblob.New(minioblob.Config{Endpoint: endpoint, AccessKey: ak, SecretKey: sk, Bucket: miniotest.BucketName(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}
	tasks, err := queue.NewClient(redisOpt)
	if err != nil {
		t.Fatal(err)
	}
	defer tasks.Close()
	conn, err := kgrpc.DialInsecure(ctx, kgrpc.WithEndpoint(grpcURL.Host), kgrpc.WithMiddleware(authn.Forward()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	cm, err := course.New(course.Config{DatabaseDriver: "postgres", DatabaseDSN: testdb.Postgres(t), Store: store, Tasks: tasks,
		Orgs: orgv1.NewOrgsClient(conn), Media: course.MediaConfig{PartSize: 5 << 20}}, logger, clk)
	if err != nil {
		t.Fatal(err)
	}
	defer cm.Close()
	if err := cm.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tokenKey, err := kit.TokenKey(ctx, "", orgv1.NewAuthClient(conn))
	if err != nil {
		t.Fatal(err)
	}
	chs, _, err := kit.NewServers(kit.Options{HTTPAddr: "127.0.0.1:0", GRPCAddr: "127.0.0.1:0",
		Verifier: authn.NewVerifier(clk, tokenKey), Logger: logger, Metrics: obs.NewMetrics()})
	if err != nil {
		t.Fatal(err)
	}
	cm.RegisterHTTP(chs)
	courseHTTP := httptest.NewServer(chs)
	defer courseHTTP.Close()
	worker, err := queue.NewServer(redisOpt, queue.Config{Queues: map[string]int{course.Queue: 1}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	cm.RegisterTasks(worker)
	go func() { _ = worker.Start(ctx) }()
	defer worker.Stop(ctx)

	orgs, courses := client{t, orgHTTP.URL}, client{t, courseHTTP.URL}
	login := func(u, pw string) string {
		return str(orgs.ok("POST", "/v1/auth/login", "", map[string]any{"username": u, "password": pw})["accessToken"])
	}
	admin := login("admin", "Admin-pass-2026")
	root := str(orgs.ok("GET", "/v1/me", admin, nil)["orgId"])
	a := str(orgs.ok("POST", "/v1/orgs", admin, map[string]any{"parentId": root, "name": "A", "code": "A", "type": "BRANCH"})["id"])
	b := str(orgs.ok("POST", "/v1/orgs", admin, map[string]any{"parentId": root, "name": "B", "code": "B", "type": "BRANCH"})["id"])
	for _, u := range []struct{ name, org, role string }{{"trainer", a, "TRAINER"}, {"staffa", a, "STAFF"}, {"membera", a, "MEMBER"}, {"memberb", b, "MEMBER"}} {
		orgs.ok("POST", "/v1/accounts", admin, map[string]any{"username": u.name, "displayName": u.name, "password": "Passw0rd-" + u.name, "roles": []string{u.role}, "orgId": u.org})
	}
	trainer := login("trainer", "Passw0rd-trainer")

	cid := str(courses.ok("POST", "/v1/courses", trainer, map[string]any{"title": "分布式课程"})["id"])
	ch := str(courses.ok("POST", "/v1/courses/"+cid+"/chapters", trainer, map[string]any{"title": "一"})["id"])
	lesson := str(courses.ok("POST", "/v1/chapters/"+ch+"/lessons", trainer, map[string]any{"title": "v", "kind": "VIDEO"})["id"])

	// Upload 11 MiB in three parts straight to MinIO through the presigned part URLs.
	movie := mp4(125, 11<<20)
	plan := courses.ok("POST", "/v1/lessons/"+lesson+"/uploads", trainer, map[string]any{"fileName": "v.mp4", "size": len(movie), "contentType": "video/mp4"})
	parts := plan["parts"].([]any)
	if len(parts) != 3 {
		t.Fatalf("plan has %d parts", len(parts))
	}
	for _, p := range parts {
		part := p.(map[string]any)
		u := str(part["url"])
		if !strings.HasPrefix(u, "http://"+endpoint+"/") {
			t.Fatalf("part URL %s does not point at MinIO", u)
		}
		n := int(part["number"].(float64))
		chunk := movie[(n-1)*(5<<20) : min(n*(5<<20), len(movie))]
		req, _ := http.NewRequest("PUT", u, bytes.NewReader(chunk))
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("PUT part %d to MinIO: %v %v", n, err, res)
		}
		res.Body.Close()
	}
	courses.ok("POST", "/v1/uploads/"+str(plan["uploadId"])+":complete", trainer, map[string]any{})
	var status string
	// Generous: on a loaded 2-core CI machine the real queue can take many seconds.
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline) && status != "READY"; {
		c := courses.ok("GET", "/v1/courses/"+cid, trainer, nil)
		l := c["chapters"].([]any)[0].(map[string]any)["lessons"].([]any)[0].(map[string]any)
		status = str(l["mediaStatus"])
		if status == "FAILED" {
			t.Fatalf("probe failed: %v", l)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if status != "READY" {
		t.Fatal("media:probe did not finish on the real queue")
	}
	courses.ok("POST", "/v1/courses/"+cid+":publish", trainer, map[string]any{})

	// Staff of A assigns to A — the org lookup goes to the org service over gRPC as staff of A.
	staff := login("staffa", "Passw0rd-staffa")
	courses.ok("POST", "/v1/courses/"+cid+"/assignments", staff, map[string]any{"orgIds": []string{a}, "required": true})
	if status, _, raw := courses.call("POST", "/v1/courses/"+cid+"/assignments", staff, map[string]any{"orgIds": []string{b}}); status != 404 {
		t.Fatalf("staff of A assigning to B = %d %s", status, raw)
	}

	member := login("membera", "Passw0rd-membera")
	play := courses.ok("GET", "/v1/lessons/"+lesson+"/playback", member, nil)
	url := str(play["url"])
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Range", "bytes=1000-1999")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 206 || res.Header.Get("Content-Range") != fmt.Sprintf("bytes 1000-1999/%d", len(movie)) || !bytes.Equal(got, movie[1000:2000]) {
		t.Fatalf("MinIO range GET = %d %q", res.StatusCode, res.Header.Get("Content-Range"))
	}
	if status, _, raw := courses.call("GET", "/v1/lessons/"+lesson+"/playback", login("memberb", "Passw0rd-memberb"), nil); status != 404 || strings.Contains(raw, endpoint) {
		t.Fatalf("member of B = %d %s", status, raw)
	}
}

func mp4(seconds uint32, padding int) []byte {
	box := func(typ string, payload []byte) []byte {
		b := make([]byte, 8, 8+len(payload))
		binary.BigEndian.PutUint32(b, uint32(8+len(payload)))
		copy(b[4:], typ)
		return append(b, payload...)
	}
	mvhd := make([]byte, 100)
	binary.BigEndian.PutUint32(mvhd[12:], 1000)
	binary.BigEndian.PutUint32(mvhd[16:], seconds*1000)
	return bytes.Join([][]byte{
		box("ftyp", []byte("isom\x00\x00\x02\x00isomiso2avc1mp41")),
		box("mdat", bytes.Repeat([]byte{0x42}, padding)),
		box("moov", box("mvhd", mvhd)),
	}, nil)
}
