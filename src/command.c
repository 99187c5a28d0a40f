/* command.c: a loss computed by an external program (see command.h).
 *
 * The loss is a function loss (loss.h): the command (its argument vector,
 * directory, timeout, mode) is the shared `user`; each copy's state is a
 * worker, which starts its program with fork and execv (nothing in the
 * child between the two but dup2, chdir and the signal mask: what is safe
 * after fork in a threaded process; a failed exec reports its errno through
 * a close-on-exec pipe).  A batch is exchanged with poll, writing the points
 * and reading the answers together, so that neither side can block the
 * other however large the batch, and the timeout bounds the whole batch.
 * The program's input is a socket, written with MSG_NOSIGNAL: a program
 * that exits early is a message, never a SIGPIPE that kills issim. */
#define _GNU_SOURCE /* pipe2, SOCK_CLOEXEC */

#include "command.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

/* ---- the command, shared by the workers ---- */

typedef struct {
  char **argv;      /* argv[0]: the program's absolute path */
  char *directory;  /* absolute; NULL: issim's */
  char *display;    /* the command as given, for messages */
  double timeout;
  issim_command_mode mode;
  size_t d;
} command;

static void command_release(void *user)
{
  command *c = user;
  if (c == NULL)
    return;
  issim_command_free_words(c->argv);
  free(c->directory);
  free(c->display);
  free(c);
}

/* ---- words ---- */

void issim_command_free_words(char **argv)
{
  for (size_t i = 0; argv && argv[i]; i++)
    free(argv[i]);
  free(argv);
}

/* The next word of *p into a new string (NULL: none left; *bad: an
 * unclosed quote, or out of memory). */
static char *next_word(const char **p, int *bad)
{
  const char *s = *p;
  while (*s == ' ' || *s == '\t')
    s++;
  if (*s == '\0')
    return NULL;
  char *w = malloc(strlen(s) + 1), *o = w;
  if (w == NULL) {
    *bad = 1;
    return NULL;
  }
  while (*s && *s != ' ' && *s != '\t') {
    if (*s == '"' || *s == '\'') {
      const char *end = strchr(s + 1, *s);
      if (end == NULL) {
        free(w);
        *bad = 2;
        return NULL;
      }
      memcpy(o, s + 1, (size_t)(end - s - 1));
      o += end - s - 1;
      s = end + 1;
    } else {
      *o++ = *s++;
    }
  }
  *o = '\0';
  *p = s;
  return w;
}

int issim_command_split(const char *line, char ***argv, size_t *argc, issim_error *err)
{
  size_t n = 0, cap = 8;
  char **v = calloc(cap, sizeof *v);
  int bad = v == NULL;
  for (char *w; !bad && (w = next_word(&line, &bad)) != NULL;) {
    if (n + 2 > cap) {
      char **grown = realloc(v, 2 * cap * sizeof *v);
      if (grown == NULL) {
        free(w);
        bad = 1;
        break;
      }
      v = grown, cap *= 2;
    }
    v[n++] = w;
    v[n] = NULL;
  }
  if (bad || n == 0) {
    issim_command_free_words(v);
    *argv = NULL, *argc = 0;
    return bad == 1   ? issim_error_set(err, ISSIM_ENOMEM, "out of memory for a command line")
           : bad == 2 ? issim_error_set_key(err, ISSIM_EINVAL, "command",
                                            "a quote (\" or ') is not closed")
                      : issim_error_set_key(err, ISSIM_EINVAL, "command",
                                            "the command is empty: it needs a program");
  }
  *argv = v, *argc = n;
  return ISSIM_OK;
}

/* ---- finding the program ---- */

static int executable_file(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* A program name without '/' looked up in PATH, as execvp would: the first
 * executable file found, as a new string (NULL: none). */
static char *search_path(const char *name)
{
  const char *path = getenv("PATH");
  if (path == NULL || *path == '\0')
    path = "/usr/local/bin:/usr/bin:/bin";
  size_t cap = strlen(path) + strlen(name) + 3;
  char *buf = malloc(cap);
  for (const char *p = path; buf != NULL;) {
    const char *colon = strchr(p, ':');
    size_t len = colon ? (size_t)(colon - p) : strlen(p);
    snprintf(buf, cap, "%.*s/%s", (int)len, len ? p : ".", name);
    if (executable_file(buf)) {
      char *abs = realpath(buf, NULL);
      free(buf);
      return abs;
    }
    if (colon == NULL)
      break;
    p = colon + 1;
  }
  free(buf);
  return NULL;
}

/* argv[0] as an absolute path, checked, a relative path from dir (NULL:
 * issim's working directory); NULL with the message. */
static char *find_program(const char *name, const char *dir, issim_error *err)
{
  char *abs = NULL;
  if (strchr(name, '/') == NULL) {
    abs = search_path(name);
  } else if (name[0] == '/' || dir == NULL) {
    abs = realpath(name, NULL);
  } else {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *joined = malloc(n);
    if (joined == NULL)
      return issim_error_set(err, ISSIM_ENOMEM, "out of memory for a command"), NULL;
    snprintf(joined, n, "%s/%s", dir, name);
    abs = realpath(joined, NULL);
    free(joined);
  }
  if (abs != NULL && executable_file(abs))
    return abs;
  int e = abs ? EACCES : errno;
  free(abs);
  if (strchr(name, '/') == NULL)
    issim_error_set_key(err, ISSIM_EINVAL, "command",
                        "cannot run '%s': no executable file of that name in PATH (a program "
                        "of the scenario's directory is written ./%s)", name, name);
  else
    issim_error_set_key(err, ISSIM_EINVAL, "command", "cannot run '%s'%s%s: %s", name,
                        name[0] != '/' && dir ? " from " : "", name[0] != '/' && dir ? dir : "",
                        e == EACCES ? "it is not an executable file (chmod +x?)" : strerror(e));
  return NULL;
}

/* ---- a worker: one program at a time ---- */

typedef struct {
  const command *c;
  pid_t pid;              /* 0: no program running */
  int to, from;           /* its standard input (a socket) and output (a pipe) */
  char *out;              /* the batch's text */
  size_t out_len, out_cap;
  char *in;               /* its answers so far */
  size_t in_len, in_cap;
  size_t lines;           /* complete lines in `in` */
  char message[ISSIM_ERROR_MESSAGE_SIZE];
} worker;

static int say(worker *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int say(worker *w, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(w->message, sizeof w->message, fmt, ap);
  va_end(ap);
  return -1;
}

static void close_fd(int *fd)
{
  if (*fd >= 0)
    close(*fd);
  *fd = -1;
}

/* "exited with status 3", "was killed by signal 9 (Killed)" */
static void describe_status(int status, char *buf, size_t size)
{
  if (WIFEXITED(status))
    snprintf(buf, size, "exited with status %d", WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    snprintf(buf, size, "was killed by signal %d (%s)", WTERMSIG(status),
             strsignal(WTERMSIG(status)));
  else
    snprintf(buf, size, "stopped");
}

static void pause_ms(long ms)
{
  struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0 && errno == EINTR)
    ;
}

/* Waits for the program to end, at most `grace` seconds, then kills it;
 * its status into *status.  The pipes are closed first. */
static void reap(worker *w, double grace, int *status)
{
  close_fd(&w->to);
  close_fd(&w->from);
  if (w->pid <= 0)
    return;
  double until = issim_clock_now() + grace;
  pid_t r;
  while ((r = waitpid(w->pid, status, WNOHANG)) == 0 && issim_clock_now() < until)
    pause_ms(5);
  if (r == 0) {
    kill(w->pid, SIGKILL);
    while (waitpid(w->pid, status, 0) < 0 && errno == EINTR)
      ;
  }
  w->pid = 0;
}

/* In the child, between fork and exec: async-signal-safe calls only. */
static void child(const command *c, int in, int out, int report)
{
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  if (dup2(in, 0) >= 0 && dup2(out, 1) >= 0 && (c->directory == NULL || chdir(c->directory) == 0))
    execv(c->argv[0], c->argv);
  int e = errno;
  ssize_t ignored = write(report, &e, sizeof e);
  (void)ignored;
  _exit(127);
}

/* fd moved above the standard descriptors (issim's own may be closed, and
 * then a new pipe takes their numbers, which the child's dup2 onto 0 and 1
 * would clobber); close-on-exec either way. */
static int above_stdio(int fd)
{
  if (fd < 0 || fd > 2)
    return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  close(fd);
  return moved;
}

/* Starts the program; -1 with the message when it cannot be. */
static int start(worker *w)
{
  int in[2] = {-1, -1}, out[2] = {-1, -1}, report[2] = {-1, -1};
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0 ||
      pipe2(out, O_CLOEXEC) != 0 || pipe2(report, O_CLOEXEC) != 0) {
    int e = errno;
    for (int i = 0; i < 2; i++)
      close_fd(&in[i]), close_fd(&out[i]), close_fd(&report[i]);
    return say(w, "cannot make the pipes to start the program: %s", strerror(e));
  }
  in[1] = above_stdio(in[1]), out[1] = above_stdio(out[1]), report[1] = above_stdio(report[1]);
  pid_t pid = in[1] >= 0 && out[1] >= 0 && report[1] >= 0 ? fork() : -1;
  if (pid == 0)
    child(w->c, in[1], out[1], report[1]);
  int e = errno;
  close_fd(&in[1]), close_fd(&out[1]), close_fd(&report[1]);
  if (pid < 0) {
    close_fd(&in[0]), close_fd(&out[0]), close_fd(&report[0]);
    return say(w, "cannot start the program: fork: %s", strerror(e));
  }
  ssize_t r;
  while ((r = read(report[0], &e, sizeof e)) < 0 && errno == EINTR)
    ;
  close_fd(&report[0]);
  w->pid = pid, w->to = in[0], w->from = out[0];
  if (r == (ssize_t)sizeof e) { /* exec failed */
    int status;
    reap(w, 5, &status);
    return say(w, "cannot start the program%s%s: %s", w->c->directory ? " in " : "",
               w->c->directory ? w->c->directory : "", strerror(e));
  }
  fcntl(w->to, F_SETFL, fcntl(w->to, F_GETFL) | O_NONBLOCK);
  fcntl(w->from, F_SETFL, fcntl(w->from, F_GETFL) | O_NONBLOCK);
  return 0;
}

/* ---- one batch ---- */

static int reserve(char **buf, size_t *cap, size_t need)
{
  if (need <= *cap)
    return 1;
  size_t c = *cap ? *cap : 4096;
  while (c < need)
    c *= 2;
  char *b = realloc(*buf, c);
  if (b == NULL)
    return 0;
  *buf = b, *cap = c;
  return 1;
}

/* The batch's text: a line of d numbers per point. */
static int format_batch(worker *w, const double *x, size_t n, size_t d)
{
  w->out_len = 0;
  for (size_t i = 0; i < n * d; i++) {
    if (!reserve(&w->out, &w->out_cap, w->out_len + 32))
      return say(w, "out of memory for a batch's text");
    w->out_len += (size_t)snprintf(w->out + w->out_len, 32, "%.17g%c", x[i],
                                   (i + 1) % d == 0 ? '\n' : ' ');
  }
  return 0;
}

/* The longest answer line issim reads: a number needs 30 characters. */
#define MAX_ANSWER 4096

/* Reads what the program has written: 0 when more may come, 1 at the end of
 * its output, 2 once it has written more than n lines, or more than n + 1
 * lines' worth of bytes (a program that floods its output is stopped, not
 * followed until memory runs out), -1 on an error (the message). */
static int read_answers(worker *w, size_t n)
{
  for (;;) {
    if (w->lines > n || w->in_len > (n + 1) * MAX_ANSWER)
      return 2;
    if (!reserve(&w->in, &w->in_cap, w->in_len + 4096))
      return say(w, "out of memory for the program's answers");
    ssize_t r = read(w->from, w->in + w->in_len, w->in_cap - w->in_len);
    if (r > 0) {
      for (ssize_t k = 0; k < r; k++)
        w->lines += w->in[w->in_len + (size_t)k] == '\n';
      w->in_len += (size_t)r;
    } else if (r == 0) {
      return 1;
    } else {
      return errno == EAGAIN || errno == EINTR ? 0 : say(w, "cannot read the program's output: %s",
                                                          strerror(errno));
    }
  }
}

/* Writes what the socket takes of the batch's text; a program that stopped
 * reading (it exited) ends the writing: its answers will say why. */
static void write_points(worker *w, size_t *written, int *write_done)
{
  ssize_t r = send(w->to, w->out + *written, w->out_len - *written, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (r > 0)
    *written += (size_t)r;
  else if (r < 0 && errno != EAGAIN && errno != EINTR)
    *write_done = 1; /* EPIPE, ECONNRESET: it is gone */
  if (*written == w->out_len)
    *write_done = 1;
  if (*write_done && w->c->mode == ISSIM_COMMAND_BATCH)
    shutdown(w->to, SHUT_WR); /* the end of its input: it answers and exits */
}

static int too_much(worker *w, size_t n);

/* Sends the batch and reads answers until n lines (stream) or the end of the
 * output (batch): 0, 1 when the output ended early (stream), 2 on timeout,
 * -1 on another failure (the message). */
static int exchange(worker *w, size_t n)
{
  const command *c = w->c;
  double deadline = c->timeout > 0 ? issim_clock_now() + c->timeout : INFINITY;
  size_t written = 0;
  int write_done = w->out_len == 0, ended = 0;
  w->in_len = w->lines = 0;
  if (write_done && c->mode == ISSIM_COMMAND_BATCH)
    shutdown(w->to, SHUT_WR);
  while (!ended && !(c->mode == ISSIM_COMMAND_STREAM && w->lines >= n)) {
    struct pollfd fds[2] = {{.fd = w->from, .events = POLLIN},
                            {.fd = write_done ? -1 : w->to, .events = POLLOUT}};
    double left = deadline - issim_clock_now();
    if (left <= 0)
      return 2;
    int ms = isinf(left) ? -1 : left > INT_MAX / 1000 ? INT_MAX : (int)ceil(left * 1000);
    int r = poll(fds, 2, ms);
    if (r < 0 && errno != EINTR)
      return say(w, "poll: %s", strerror(errno));
    if (r <= 0)
      continue;
    if (fds[1].revents)
      write_points(w, &written, &write_done);
    if (fds[0].revents && (ended = read_answers(w, n)) < 0)
      return -1;
    if (ended == 2)
      return too_much(w, n);
  }
  return ended && c->mode == ISSIM_COMMAND_STREAM ? 1 : 0;
}

/* The end of the output in batch mode: a last line without its '\n' counts. */
static int end_last_line(worker *w)
{
  if (w->in_len == 0 || w->in[w->in_len - 1] == '\n')
    return 0;
  if (!reserve(&w->in, &w->in_cap, w->in_len + 1))
    return say(w, "out of memory for the program's answers");
  w->in[w->in_len++] = '\n';
  w->lines++;
  return 0;
}

/* A line as the message quotes it: its first 60 characters, others as '?'. */
static void quote_line(const char *a, const char *b, char *buf, size_t size)
{
  size_t k = 0;
  for (const char *p = a; p < b && k + 4 < size && p - a < 60; p++)
    buf[k++] = *p >= 32 && *p < 127 ? *p : '?';
  if (b - a > 60 && k + 4 < size)
    buf[k++] = '.', buf[k++] = '.', buf[k++] = '.';
  buf[k] = '\0';
}

static int is_blank(char ch)
{
  return ch == ' ' || ch == '\t' || ch == '\r';
}

/* The number on [a, b), blanks around it ignored; 0 when it is not one. */
static int parse_line(const char *a, const char *b, double *v)
{
  char buf[128];
  while (a < b && is_blank(*a))
    a++;
  while (b > a && is_blank(b[-1]))
    b--;
  size_t len = (size_t)(b - a);
  if (len == 0 || len >= sizeof buf)
    return 0;
  memcpy(buf, a, len);
  buf[len] = '\0';
  char *end;
  *v = strtod(buf, &end);
  return end == buf + len;
}

/* The n answers, one a line, into g; -1 with the message on a line that is
 * not a number, or on more lines than points. */
static int parse_answers(worker *w, const double *x, size_t n, size_t d, double *g)
{
  const char *p = w->in, *end = w->in + w->in_len;
  char text[80], point[256];
  for (size_t i = 0; i < n; i++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!parse_line(p, nl, &g[i])) {
      quote_line(p, nl, text, sizeof text);
      size_t len = (size_t)snprintf(point, sizeof point, "(");
      for (size_t j = 0; j < d && j < 6 && len < sizeof point; j++)
        len += (size_t)snprintf(point + len, sizeof point - len, "%s%.10g", j ? ", " : "",
                                x[i * d + j]);
      if (len < sizeof point)
        snprintf(point + len, sizeof point - len, "%s)", d > 6 ? ", ..." : "");
      return say(w, "line %zu of its answer is '%s', not a number (the loss of x = %s)", i + 1,
                 text, point);
    }
    p = nl + 1;
  }
  return p == end ? 0 : too_much(w, n);
}

/* The program wrote more than n lines (line n + 1 quoted), or too long a one. */
static int too_much(worker *w, size_t n)
{
  const char *p = w->in, *end = w->in + w->in_len;
  for (size_t i = 0; i < n && p < end; i++) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    p = nl ? nl + 1 : end;
  }
  char text[80];
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  quote_line(p, nl ? nl : end, text, sizeof text);
  if (w->lines <= n)
    return say(w, "it wrote an answer line longer than %d characters, or more than a line per "
                  "point: '%s'", MAX_ANSWER, text);
  return say(w, "it answered more lines than the %zu points it was sent: line %zu is '%s' "
                "(one line per point, nothing else, on its standard output)", n, n + 1, text);
}

/* After the output ended: the program's exit, which must be status 0 with
 * every point answered (batch mode). */
static int check_exit(worker *w, size_t n, int status)
{
  char how[128];
  describe_status(status, how, sizeof how);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return say(w, "the program %s after answering %zu of its %zu point%s", how,
               w->lines < n ? w->lines : n, n, n == 1 ? "" : "s");
  if (w->lines < n)
    return say(w, "the program answered %zu line%s for %zu point%s, and %s", w->lines,
               w->lines == 1 ? "" : "s", n, n == 1 ? "" : "s", how);
  return 0;
}

/* Stream mode, before a batch: whatever the program wrote since its last
 * answer is a line too many (or it ended); -1 with the message then. */
static int check_between(worker *w)
{
  w->in_len = w->lines = 0;
  int ended = read_answers(w, 0), status = 0;
  ended = ended == 2 ? 0 : ended; /* a line too many: said below */
  if (ended >= 0 && w->in_len == 0 && !ended)
    return 0;
  char text[80], how[128];
  const char *nl = memchr(w->in, '\n', w->in_len);
  quote_line(w->in, nl ? nl : w->in + w->in_len, text, sizeof text);
  reap(w, ended > 0 ? 1 : 0, &status);
  describe_status(status, how, sizeof how);
  if (w->in_len > 0)
    return say(w, "it answered more lines than the points of its previous batch: '%s' came "
                  "after the last of them (one line per point, nothing else, on its standard "
                  "output); that batch's answers may be out of step", text);
  return ended < 0 ? -1 : say(w, "the program %s after its previous batch: in stream mode it "
                                 "must keep running until its input ends", how);
}

/* ---- the loss's callbacks (loss.h) ---- */

static int command_eval(const double *x, size_t n, size_t d, double *g, void *state)
{
  worker *w = state;
  const command *c = w->c;
  int status = 0;
  if (format_batch(w, x, n, d) != 0)
    return -1;
  if (w->pid != 0 && c->mode == ISSIM_COMMAND_STREAM && check_between(w) != 0)
    return -1;
  if (w->pid == 0 && start(w) != 0)
    return -1;
  int r = exchange(w, n);
  if (r == 2) {
    size_t answered = w->lines < n ? w->lines : n;
    reap(w, 0, &status);
    return say(w, "no complete answer within the timeout of %g s (it had answered %zu of its "
                  "%zu point%s): the program was killed", c->timeout, answered, n, n == 1 ? "" : "s");
  }
  if (r < 0) {
    reap(w, 0, &status);
    return -1;
  }
  if (c->mode == ISSIM_COMMAND_BATCH || r == 1) { /* the output ended: the program exits */
    if (end_last_line(w) != 0)
      return -1;
    reap(w, c->mode == ISSIM_COMMAND_BATCH ? 10 : 1, &status);
    if (check_exit(w, n, status) != 0)
      return -1;
  }
  if (parse_answers(w, x, n, d, g) != 0) {
    reap(w, 0, &status);
    return -1;
  }
  return 0;
}

static int command_worker(void *user, void **state)
{
  worker *w = calloc(1, sizeof *w);
  *state = w;
  if (w == NULL)
    return -1;
  w->c = user;
  w->to = w->from = -1;
  return 0;
}

static void command_worker_free(void *user, void *state)
{
  (void)user;
  worker *w = state;
  if (w == NULL)
    return;
  int status;
  reap(w, 1, &status); /* stream: its input closed, a second to exit */
  free(w->out);
  free(w->in);
  free(w);
}

static const char *command_message(void *user, void *state)
{
  (void)user;
  const worker *w = state;
  return w ? w->message : "out of memory for a worker";
}

/* ---- the loss ---- */

/* The command as given, its words joined by spaces (quoted when they hold
 * one), after `prefix`. */
static char *display_of(const char *prefix, const char *const *argv)
{
  size_t len = strlen(prefix) + 1;
  for (size_t i = 0; argv[i]; i++)
    len += strlen(argv[i]) + 3;
  char *s = malloc(len);
  if (s == NULL)
    return NULL;
  size_t k = (size_t)snprintf(s, len, "%s", prefix);
  for (size_t i = 0; argv[i]; i++) {
    int quote = argv[i][0] == '\0' || strpbrk(argv[i], " \t") != NULL;
    k += (size_t)snprintf(s + k, len - k, "%s%s%s%s", i ? " " : "", quote ? "'" : "", argv[i],
                          quote ? "'" : "");
  }
  return s;
}

/* The shared command: argv copied with its program found, the directory
 * made absolute; NULL with the message. */
static command *command_of(size_t d, const issim_command_spec *spec, issim_error *err)
{
  size_t argc = 0;
  while (spec->argv && spec->argv[argc])
    argc++;
  command *c = calloc(1, sizeof *c);
  if (c == NULL || (c->argv = calloc(argc + 1, sizeof *c->argv)) == NULL ||
      (c->display = display_of("", spec->argv)) == NULL) {
    command_release(c);
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for a command");
    return NULL;
  }
  c->d = d, c->timeout = spec->timeout, c->mode = spec->mode;
  struct stat st;
  int ok = 1;
  if (spec->directory && ((c->directory = realpath(spec->directory, NULL)) == NULL ||
                          stat(c->directory, &st) != 0 || !S_ISDIR(st.st_mode)))
    ok = issim_error_set_key(err, ISSIM_EINVAL, "directory", "the command's directory %s is "
                             "not a directory one can enter", spec->directory) == ISSIM_OK;
  ok = ok && (c->argv[0] = find_program(spec->argv[0], c->directory, err)) != NULL;
  for (size_t i = 1; ok && i < argc; i++)
    if ((c->argv[i] = strdup(spec->argv[i])) == NULL)
      ok = issim_error_set(err, ISSIM_ENOMEM, "out of memory for a command") == ISSIM_OK;
  if (!ok) {
    command_release(c);
    return NULL;
  }
  return c;
}

issim_loss *issim_command_alloc(size_t d, const issim_command_spec *spec, issim_error *err)
{
  if (spec->argv == NULL || spec->argv[0] == NULL || spec->argv[0][0] == '\0') {
    issim_error_set_key(err, ISSIM_EINVAL, "command", "the command is empty: it needs a program");
    return NULL;
  }
  if (!(spec->timeout >= 0) || isinf(spec->timeout)) {
    issim_error_set_key(err, ISSIM_EINVAL, "timeout", "the timeout must be a number of seconds "
                        "above 0, or 0 for none (got %g)", spec->timeout);
    return NULL;
  }
  command *c = command_of(d, spec, err);
  if (c == NULL)
    return NULL;
  char *name = display_of("command ", spec->argv);
  issim_loss_function f = {.eval = command_eval, .user = c, .init = command_worker,
                           .done = command_worker_free, .message = command_message,
                           .release = command_release, .name = name};
  issim_loss *g = name ? issim_loss_alloc_function(d, &f, err) : NULL;
  if (name == NULL)
    issim_error_set(err, ISSIM_ENOMEM, "out of memory for a command");
  free(name);
  if (g == NULL)
    command_release(c);
  return g;
}
