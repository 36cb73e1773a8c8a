// Durable appends of 84-byte records into a peer of our log, from CLIENTS threads with a connection each,
// every append waiting for the peer's acknowledgement before the next (as a gateway waits before a 201):
//   redis     XADD votes * v RECORD            (hiredis; the server runs appendonly, appendfsync always)
//   postgres  INSERT INTO votes VALUES (RECORD) (libpq, prepared, binary; synchronous_commit on)
//   nats      JetStream publish to "votes"     (libnats; a file-storage stream, acknowledged once stored)
// Usage: peer_client SYSTEM ADDRESS CLIENTS COUNT
//   ADDRESS: host:port for redis, a libpq conninfo for postgres, a nats:// URL for nats.
// Prints one line: SYSTEM CLIENTS COUNT SECONDS OPS_PER_SECOND P50_MS P99_MS. Exits non-zero on any failure:
// a failed append is never counted as done.
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <nats/nats.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { RECORD = 84 };

static const char *system_name, *address;
static int clients;
static long count;
static double *latencies;
static pthread_barrier_t ready;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void fail(const char *what, const char *detail) {
    fprintf(stderr, "peer_client %s: %s: %s\n", system_name, what, detail ? detail : "");
    exit(1);
}

// Votes are ids and set ids: random bytes, which no peer here compresses.
static void fill(unsigned char *record, uint64_t *state) {
    for (int i = 0; i < RECORD; i += 8) {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        memcpy(record + i, state, RECORD - i < 8 ? RECORD - i : 8);
    }
}

struct lane { int index; long first, last; };

static void *run_redis(struct lane *lane) {
    const char *colon = strrchr(address, ':');
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(colon - address), address);
    redisContext *c = redisConnect(host, atoi(colon + 1));
    if (!c || c->err) fail("connect", c ? c->errstr : "no memory");
    unsigned char record[RECORD];
    uint64_t state = 0x9E3779B97F4A7C15ull * (lane->index + 1);
    pthread_barrier_wait(&ready);
    for (long i = lane->first; i < lane->last; i++) {
        fill(record, &state);
        double t = now();
        redisReply *reply = redisCommand(c, "XADD votes * v %b", record, (size_t)RECORD);
        if (!reply) fail("XADD", c->errstr);
        if (reply->type == REDIS_REPLY_ERROR) fail("XADD", reply->str);
        freeReplyObject(reply);
        latencies[i] = now() - t;
    }
    redisFree(c);
    return NULL;
}

static void *run_postgres(struct lane *lane) {
    PGconn *c = PQconnectdb(address);
    if (PQstatus(c) != CONNECTION_OK) fail("connect", PQerrorMessage(c));
    PGresult *prepared = PQprepare(c, "append", "INSERT INTO votes (payload) VALUES ($1)", 1, NULL);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) fail("prepare", PQerrorMessage(c));
    PQclear(prepared);
    unsigned char record[RECORD];
    uint64_t state = 0x9E3779B97F4A7C15ull * (lane->index + 1);
    const char *values[1] = {(const char *)record};
    const int lengths[1] = {RECORD}, formats[1] = {1};
    pthread_barrier_wait(&ready);
    for (long i = lane->first; i < lane->last; i++) {
        fill(record, &state);
        double t = now();
        PGresult *result = PQexecPrepared(c, "append", 1, values, lengths, formats, 0);
        if (PQresultStatus(result) != PGRES_COMMAND_OK) fail("INSERT", PQerrorMessage(c));
        PQclear(result);
        latencies[i] = now() - t;
    }
    PQfinish(c);
    return NULL;
}

static void *run_nats(struct lane *lane) {
    natsConnection *c = NULL;
    jsCtx *js = NULL;
    if (natsConnection_ConnectTo(&c, address) != NATS_OK) fail("connect", nats_GetLastError(NULL));
    if (natsConnection_JetStream(&js, c, NULL) != NATS_OK) fail("jetstream", nats_GetLastError(NULL));
    unsigned char record[RECORD];
    uint64_t state = 0x9E3779B97F4A7C15ull * (lane->index + 1);
    pthread_barrier_wait(&ready);
    for (long i = lane->first; i < lane->last; i++) {
        fill(record, &state);
        double t = now();
        jsPubAck *ack = NULL;
        jsErrCode code = 0;
        if (js_Publish(&ack, js, "votes", record, RECORD, NULL, &code) != NATS_OK) fail("publish", nats_GetLastError(NULL));
        jsPubAck_Destroy(ack);
        latencies[i] = now() - t;
    }
    jsCtx_Destroy(js);
    natsConnection_Destroy(c);
    return NULL;
}

// One file-storage stream for the subject, made before the clock starts.
static void create_stream(void) {
    natsConnection *c = NULL;
    jsCtx *js = NULL;
    if (natsConnection_ConnectTo(&c, address) != NATS_OK) fail("connect", nats_GetLastError(NULL));
    if (natsConnection_JetStream(&js, c, NULL) != NATS_OK) fail("jetstream", nats_GetLastError(NULL));
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const char *subjects[] = {"votes"};
    config.Name = "VOTES";
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    jsStreamInfo *info = NULL;
    jsErrCode code = 0;
    if (js_AddStream(&info, js, &config, NULL, &code) != NATS_OK) fail("add stream", nats_GetLastError(NULL));
    jsStreamInfo_Destroy(info);
    jsCtx_Destroy(js);
    natsConnection_Destroy(c);
}

static void *run(void *argument) {
    struct lane *lane = argument;
    if (!strcmp(system_name, "redis")) return run_redis(lane);
    if (!strcmp(system_name, "postgres")) return run_postgres(lane);
    return run_nats(lane);
}

static int by_value(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: peer_client redis|postgres|nats ADDRESS CLIENTS COUNT\n");
        return 2;
    }
    system_name = argv[1];
    address = argv[2];
    clients = atoi(argv[3]);
    count = atol(argv[4]);
    if (strcmp(system_name, "redis") && strcmp(system_name, "postgres") && strcmp(system_name, "nats")) fail("unknown system", system_name);
    if (clients < 1 || count < clients) fail("need CLIENTS >= 1 and COUNT >= CLIENTS", argv[3]);
    if (!strcmp(system_name, "nats")) create_stream();
    latencies = calloc(count, sizeof *latencies);
    pthread_t threads[clients];
    struct lane lanes[clients];
    pthread_barrier_init(&ready, NULL, clients + 1);
    for (int i = 0; i < clients; i++) {
        lanes[i] = (struct lane){i, count * i / clients, count * (i + 1) / clients};
        pthread_create(&threads[i], NULL, run, &lanes[i]);
    }
    pthread_barrier_wait(&ready);  // every client connected: the clock starts
    double start = now();
    for (int i = 0; i < clients; i++) pthread_join(threads[i], NULL);
    double seconds = now() - start;
    qsort(latencies, count, sizeof *latencies, by_value);
    printf("%s %d %ld %.3f %.0f %.3f %.3f\n", system_name, clients, count, seconds, count / seconds,
           latencies[count / 2] * 1e3, latencies[(long)(count * 0.99)] * 1e3);
    return 0;
}
