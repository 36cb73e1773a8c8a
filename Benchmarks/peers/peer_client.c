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

// Each system: connect a client, append one record (returning only once it is acknowledged), disconnect.
struct peer {
    void *(*connect)(void);
    void (*append)(void *client, const unsigned char *record);
    void (*close)(void *client);
};

static void *redis_connect(void) {
    const char *colon = strrchr(address, ':');
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(colon - address), address);
    redisContext *c = redisConnect(host, atoi(colon + 1));
    if (!c || c->err) fail("connect", c ? c->errstr : "no memory");
    return c;
}

static void redis_append(void *client, const unsigned char *record) {
    redisContext *c = client;
    redisReply *reply = redisCommand(c, "XADD votes * v %b", record, (size_t)RECORD);
    if (!reply) fail("XADD", c->errstr);
    if (reply->type == REDIS_REPLY_ERROR) fail("XADD", reply->str);
    freeReplyObject(reply);
}

static void redis_close(void *client) { redisFree(client); }

static void *postgres_connect(void) {
    PGconn *c = PQconnectdb(address);
    if (PQstatus(c) != CONNECTION_OK) fail("connect", PQerrorMessage(c));
    PGresult *prepared = PQprepare(c, "append", "INSERT INTO votes (payload) VALUES ($1)", 1, NULL);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK) fail("prepare", PQerrorMessage(c));
    PQclear(prepared);
    return c;
}

static void postgres_append(void *client, const unsigned char *record) {
    const char *values[1] = {(const char *)record};
    const int lengths[1] = {RECORD}, formats[1] = {1};
    PGresult *result = PQexecPrepared(client, "append", 1, values, lengths, formats, 0);
    if (PQresultStatus(result) != PGRES_COMMAND_OK) fail("INSERT", PQerrorMessage(client));
    PQclear(result);
}

static void postgres_close(void *client) { PQfinish(client); }

struct nats_client { natsConnection *connection; jsCtx *js; };

static void *nats_connect(void) {
    struct nats_client *c = calloc(1, sizeof *c);
    if (natsConnection_ConnectTo(&c->connection, address) != NATS_OK) fail("connect", nats_GetLastError(NULL));
    if (natsConnection_JetStream(&c->js, c->connection, NULL) != NATS_OK) fail("jetstream", nats_GetLastError(NULL));
    return c;
}

static void nats_append(void *client, const unsigned char *record) {
    struct nats_client *c = client;
    jsPubAck *ack = NULL;
    jsErrCode code = 0;
    if (js_Publish(&ack, c->js, "votes", record, RECORD, NULL, &code) != NATS_OK) fail("publish", nats_GetLastError(NULL));
    jsPubAck_Destroy(ack);
}

static void nats_close(void *client) {
    struct nats_client *c = client;
    jsCtx_Destroy(c->js);
    natsConnection_Destroy(c->connection);
    free(c);
}

static struct peer peer;

// One file-storage stream for the subject, made before the clock starts.
static void create_stream(void) {
    struct nats_client *c = nats_connect();
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    const char *subjects[] = {"votes"};
    config.Name = "VOTES";
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    jsStreamInfo *info = NULL;
    jsErrCode code = 0;
    if (js_AddStream(&info, c->js, &config, NULL, &code) != NATS_OK) fail("add stream", nats_GetLastError(NULL));
    jsStreamInfo_Destroy(info);
    nats_close(c);
}

static void *run(void *argument) {
    struct lane *lane = argument;
    void *client = peer.connect();
    unsigned char record[RECORD];
    uint64_t state = 0x9E3779B97F4A7C15ull * (lane->index + 1);
    pthread_barrier_wait(&ready);
    for (long i = lane->first; i < lane->last; i++) {
        fill(record, &state);
        double t = now();
        peer.append(client, record);
        latencies[i] = now() - t;
    }
    peer.close(client);
    return NULL;
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
    if (!strcmp(system_name, "redis")) peer = (struct peer){redis_connect, redis_append, redis_close};
    else if (!strcmp(system_name, "postgres")) peer = (struct peer){postgres_connect, postgres_append, postgres_close};
    else if (!strcmp(system_name, "nats")) peer = (struct peer){nats_connect, nats_append, nats_close};
    else fail("unknown system", system_name);
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
