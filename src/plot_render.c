/* plot_render.c: running gnuplot on the scripts plot.c wrote (plot_impl.h).
 *
 * gnuplot runs as a separate program, its arguments passed directly (no
 * shell), in the plot directory, one script at a time; its own messages go
 * to gnuplot.log there.  A figure it leaves half-drawn is removed. */
#define _GNU_SOURCE /* posix_spawn_file_actions_addchdir_np (glibc 2.29), realpath */

#include "plot_impl.h"
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

void plot_remove_figure(const char *dir, const char *base, const char *ext)
{
  char name[64];
  snprintf(name, sizeof name, "%s.%s", base, ext);
  char *p = issim_fileio_join(dir, name);
  if (p != NULL)
    unlink(p);
  free(p);
}

/* posix_spawnp changes directory before it looks the program up, so a
 * relative path with a slash ("./bin/gnuplot") is made absolute first.
 * NULL with errno set when it cannot be (ENOENT: not there). */
static char *resolve_program(const char *prog)
{
  if (strchr(prog, '/') == NULL || prog[0] == '/')
    return strdup(prog);
  return realpath(prog, NULL);
}

/* Runs prog with the script as its only argument, in dir, its output to
 * logfd; returns 0 or an errno value (ENOENT: no such program). */
static int spawn_and_wait(char *prog, const char *dir, const char *script,
                          int logfd, int *status)
{
  char arg[64];
  snprintf(arg, sizeof arg, "%s", script);
  char *argv[] = {prog, arg, NULL};
  posix_spawn_file_actions_t fa;
  int rc = posix_spawn_file_actions_init(&fa);
  if (rc != 0)
    return rc;
  rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(&fa, logfd, 1);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(&fa, logfd, 2);
  if (rc == 0)
    rc = posix_spawn_file_actions_addchdir_np(&fa, dir);
  pid_t pid;
  if (rc == 0)
    rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return rc;
  while (waitpid(pid, status, 0) < 0)
    if (errno != EINTR)
      return errno;
  return 0;
}

static int not_found(const char *dir, const char *const *bases, size_t n, const char *prog,
                     issim_error *err)
{
  char others[256] = "";
  for (size_t k = 1; k < n; k++)
    snprintf(others + strlen(others), sizeof others - strlen(others), "%s%s.gp",
             k > 1 ? ", " : "", bases[k]);
  return issim_error_set(err, ISSIM_OK,
                         "gnuplot was not found (tried '%s'): the data and "
                         "scripts are in %s; render them with 'cd %s && "
                         "gnuplot %s.gp'%s%s%s",
                         prog, dir, dir, n ? bases[0] : "convergence", n > 1 ? " (and " : "",
                         others, n > 1 ? ")" : "");
}

static int figure_made(const char *dir, const char *base, const char *ext)
{
  char name[64];
  snprintf(name, sizeof name, "%s.%s", base, ext);
  char *p = issim_fileio_join(dir, name);
  struct stat st;
  int ok = p != NULL && stat(p, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
  free(p);
  return ok;
}

static int render_one(const char *dir, char *prog, const char *base, int logfd,
                      issim_error *err)
{
  char script[64];
  snprintf(script, sizeof script, "%s.gp", base);
  dprintf(logfd, "==== %s %s\n", prog, script);
  int status = 0;
  int e = spawn_and_wait(prog, dir, script, logfd, &status);
  /* Where posix_spawn is emulated with fork (valgrind, older C libraries),
   * a failed exec shows only as the child's exit status 127. */
  if (e == ENOENT || (e == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127))
    return -1;
  if (e != 0)
    return issim_error_set(err, ISSIM_EIO, "cannot run '%s' on %s/%s: %s",
                           prog, dir, script, strerror(e));
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    /* Whatever it wrote may be half a figure. */
    plot_remove_figure(dir, base, "png");
    plot_remove_figure(dir, base, "svg");
    return issim_error_set(err, ISSIM_EIO, "gnuplot failed on %s/%s (%s %d); "
                           "see %s/gnuplot.log", dir, script,
                           WIFEXITED(status) ? "exit status" : "signal",
                           WIFEXITED(status) ? WEXITSTATUS(status)
                                             : WTERMSIG(status), dir);
  }
  static const char *const ext[] = {"png", "svg"};
  for (size_t k = 0; k < 2; k++)
    if (!figure_made(dir, base, ext[k]))
      return issim_error_set(err, ISSIM_EIO, "gnuplot did not produce "
                             "%s/%s.%s; see %s/gnuplot.log", dir, base,
                             ext[k], dir);
  return ISSIM_OK;
}

int plot_render(const char *dir, const char *const *bases, size_t n, const char *gnuplot,
                int *rendered, issim_error *err)
{
  if (rendered)
    *rendered = 0;
  char *prog = resolve_program(gnuplot);
  if (prog == NULL)
    return errno == ENOMEM ? issim_error_set(err, ISSIM_ENOMEM, "out of memory")
                           : not_found(dir, bases, n, gnuplot, err);
  char *log_path = issim_fileio_join(dir, "gnuplot.log");
  int logfd = log_path ? open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                              0666) : -1;
  int rc = ISSIM_OK;
  if (log_path == NULL)
    rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory");
  else if (logfd < 0)
    rc = issim_error_set(err, ISSIM_EIO, "cannot write '%s': %s", log_path,
                         strerror(errno));
  for (size_t k = 0; k < n && rc == ISSIM_OK; k++) {
    rc = render_one(dir, prog, bases[k], logfd, err);
    if (rc < 0) {
      rc = not_found(dir, bases, n, gnuplot, err);
      break;
    }
    if (rc == ISSIM_OK && k + 1 == n && rendered)
      *rendered = 1;
  }
  if (logfd >= 0)
    close(logfd);
  free(log_path);
  free(prog);
  return rc;
}
