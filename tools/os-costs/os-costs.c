// os-costs: measures two operating-system costs on this machine for the `measured` cost profile
// (vnflab profiles --measure). Prints one JSON object on stdout; an error is one line on stderr.
//
//   null_syscall    syscall(SYS_getppid) in a loop (lmbench's "null call": a round trip into the
//                   kernel whose work inside is small and bounded); ns per call.
//   context_switch  two processes pinned to one CPU (sched_setaffinity) ping-pong one byte over
//                   two pipes, so each hand-over blocks one process and wakes the other: a round
//                   trip is two switches. The same writes and reads done by one process with no
//                   switch (the pipe work alone) are taken off, leaving the switch itself, as in
//                   Li, Ding and Shen, "Quantifying the Cost of Context Switch", ExpCS 2007, §2.
//
// Each figure is the median of several runs (a run the machine interrupted only reads high).
// usage: os-costs [--runs N] [--syscalls N] [--switches N]

#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 101

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "os-costs: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof v[0], cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long parse_count(const char *flag, const char *s, long max) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < 1 || v > max) {
    fprintf(stderr, "os-costs: %s must be an integer 1..%ld (got \"%s\")\n", flag, max, s);
    exit(2);
  }
  return v;
}

/** ns per null system call, one run of `n` calls. */
static double null_syscall_run(long n) {
  double t0 = now_ns();
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  return (now_ns() - t0) / (double)n;
}

static void xwrite(int fd, char *c) {
  if (write(fd, c, 1) != 1) die("pipe write");
}
static void xread(int fd, char *c) {
  if (read(fd, c, 1) != 1) die("pipe read");
}

/** ns per round trip of the pipe work alone: one process writes and reads both pipes. */
static double pipe_alone_run(int a[2], int b[2], long n) {
  char c = 'x';
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    xwrite(a[1], &c);
    xread(a[0], &c);
    xwrite(b[1], &c);
    xread(b[0], &c);
  }
  return (now_ns() - t0) / (double)n;
}

/** ns per round trip between two processes on one CPU: two switches plus the pipe work. */
static double ping_pong_run(int a[2], int b[2], long n) {
  char c = 'x';
  double t0 = now_ns();
  for (long i = 0; i < n; i++) {
    xwrite(a[1], &c);
    xread(b[0], &c);
  }
  return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv) {
  long runs = 11, syscalls = 200000, switches = 20000;
  for (int i = 1; i < argc; i++) {
    if (i + 1 < argc && !strcmp(argv[i], "--runs")) runs = parse_count("--runs", argv[++i], MAX_RUNS);
    else if (i + 1 < argc && !strcmp(argv[i], "--syscalls")) syscalls = parse_count("--syscalls", argv[++i], 100000000);
    else if (i + 1 < argc && !strcmp(argv[i], "--switches")) switches = parse_count("--switches", argv[++i], 10000000);
    else {
      fprintf(stderr, "os-costs: unknown argument \"%s\" (usage: os-costs [--runs N] [--syscalls N] [--switches N])\n", argv[i]);
      return 2;
    }
  }

  // Both processes on the CPU this one runs on, so every hand-over is a switch on that CPU.
  int cpu = sched_getcpu();
  if (cpu < 0) die("sched_getcpu");
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) die("sched_setaffinity");

  double sys[MAX_RUNS], alone[MAX_RUNS], pp[MAX_RUNS];
  null_syscall_run(syscalls / 10 + 1); // warm
  for (long r = 0; r < runs; r++) sys[r] = null_syscall_run(syscalls);

  int a[2], b[2];
  if (pipe(a) != 0 || pipe(b) != 0) die("pipe");
  pipe_alone_run(a, b, switches / 10 + 1);
  for (long r = 0; r < runs; r++) alone[r] = pipe_alone_run(a, b, switches);

  pid_t child = fork(); // inherits the affinity: same CPU
  if (child < 0) die("fork");
  if (child == 0) {
    close(a[1]); // so the parent's close is this read's end of file
    close(b[0]);
    char c;
    for (;;) {
      if (read(a[0], &c, 1) != 1) _exit(0); // the parent closed the pipe: done
      if (write(b[1], &c, 1) != 1) _exit(1);
    }
  }
  close(a[0]);
  close(b[1]);
  ping_pong_run(a, b, switches / 10 + 1);
  for (long r = 0; r < runs; r++) pp[r] = ping_pong_run(a, b, switches);
  close(a[1]);
  int status;
  waitpid(child, &status, 0);

  double sys_ns = median(sys, (int)runs);
  double alone_ns = median(alone, (int)runs);
  double pp_ns = median(pp, (int)runs);
  double switch_ns = (pp_ns - alone_ns) / 2;
  printf("{\"cpu\":%d,\"runs\":%ld,"
         "\"null_syscall\":{\"calls_per_run\":%ld,\"ns\":%.1f},"
         "\"context_switch\":{\"round_trips_per_run\":%ld,\"round_trip_ns\":%.1f,\"pipe_alone_ns\":%.1f,\"ns\":%.1f}}\n",
         cpu, runs, syscalls, sys_ns, switches, pp_ns, alone_ns, switch_ns);
  return 0;
}
