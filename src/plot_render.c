/* plot_render.c: running gnuplot on the scripts plot.c wrote (plot_impl.h).
 *
 * gnuplot runs as a separate program, its arguments passed directly (no
 * shell), in the plot directory, one script at a time; its own messages go
 * to gnuplot.log there.  It draws each figure into temporaries of issim's
 * own, renamed into place when whole: no half-drawn figure under its name. */
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

/* Runs prog on the script in dir, after -e NAMES (the temporary figure
 * names), its output to logfd; returns 0 or an errno value (ENOENT: no such
 * program). */
static int spawn_and_wait(char *prog, const char *dir, const char *script, const char *names,
                          int logfd, int *status)
{
  char arg[64], e[] = "-e", set[256];
  snprintf(arg, sizeof arg, "%s", script);
  snprintf(set, sizeof set, "%s", names);
  char *argv[] = {prog, e, set, arg, NULL};
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

/* A figure's two temporary files, BASE.XXXXXX.png and .svg beside the final
 * ones (created here, exclusively, so gnuplot writes files of ours and
 * follows no link); gnuplot renders into them and they are renamed into
 * place only when both are whole, so that an interrupted or failed rendering
 * never leaves a part of a figure under its name. */
typedef struct {
  char *path[2];  /* dir/BASE.XXXXXX.png, .svg; NULL: none */
  char name[2][64];
} figure_temps;

static const char *const figure_ext[] = {"png", "svg"};

static void temps_drop(figure_temps *t)
{
  for (int k = 0; k < 2; k++) {
    if (t->path[k] != NULL)
      unlink(t->path[k]);
    free(t->path[k]);
    t->path[k] = NULL;
  }
}

static int temps_make(const char *dir, const char *base, figure_temps *t, issim_error *err)
{
  *t = (figure_temps){{NULL, NULL}, {"", ""}};
  for (int k = 0; k < 2; k++) {
    snprintf(t->name[k], sizeof t->name[k], "%s.XXXXXX.%s", base, figure_ext[k]);
    char *p = issim_fileio_join(dir, t->name[k]);
    int fd = p ? issim_fileio_temporary(p, 4) : -1;
    if (fd < 0) {
      int e = errno;
      free(p);
      temps_drop(t);
      return p ? issim_error_set(err, ISSIM_EIO, "cannot create a figure in %s: %s", dir,
                                 strerror(e))
               : issim_error_set(err, ISSIM_ENOMEM, "out of memory");
    }
    close(fd);
    t->path[k] = p;
    snprintf(t->name[k], sizeof t->name[k], "%s", strrchr(p, '/') + 1);
  }
  return ISSIM_OK;
}

/* Both temporaries whole: renamed to BASE.png and BASE.svg. */
static int temps_commit(const char *dir, const char *base, figure_temps *t, issim_error *err)
{
  int rc = ISSIM_OK;
  for (int k = 0; k < 2 && rc == ISSIM_OK; k++) {
    struct stat st;
    if (stat(t->path[k], &st) != 0 || st.st_size == 0)
      rc = issim_error_set(err, ISSIM_EIO, "gnuplot did not produce %s/%s.%s; see "
                           "%s/gnuplot.log", dir, base, figure_ext[k], dir);
  }
  for (int k = 0; k < 2 && rc == ISSIM_OK; k++) {
    char name[64];
    snprintf(name, sizeof name, "%s.%s", base, figure_ext[k]);
    char *final = issim_fileio_join(dir, name);
    if (final == NULL)
      rc = issim_error_set(err, ISSIM_ENOMEM, "out of memory");
    else if (rename(t->path[k], final) != 0)
      rc = issim_error_set(err, ISSIM_EIO, "cannot write %s: %s", final, strerror(errno));
    else
      free(t->path[k]), t->path[k] = NULL;
    free(final);
  }
  temps_drop(t);
  return rc;
}

static int render_one(const char *dir, char *prog, const char *base, int logfd,
                      issim_error *err)
{
  char script[64], names[160];
  snprintf(script, sizeof script, "%s.gp", base);
  figure_temps t;
  int rc = temps_make(dir, base, &t, err);
  if (rc != ISSIM_OK)
    return rc;
  snprintf(names, sizeof names, "issim_png = '%s'; issim_svg = '%s'", t.name[0], t.name[1]);
  dprintf(logfd, "==== %s %s\n", prog, script);
  int status = 0;
  int e = spawn_and_wait(prog, dir, script, names, logfd, &status);
  /* Where posix_spawn is emulated with fork (valgrind, older C libraries),
   * a failed exec shows only as the child's exit status 127. */
  if (e == ENOENT || (e == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127))
    rc = -1;
  else if (e != 0)
    rc = issim_error_set(err, ISSIM_EIO, "cannot run '%s' on %s/%s: %s", prog, dir, script,
                         strerror(e));
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    rc = issim_error_set(err, ISSIM_EIO, "gnuplot failed on %s/%s (%s %d); see %s/gnuplot.log",
                         dir, script, WIFEXITED(status) ? "exit status" : "signal",
                         WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), dir);
  if (rc != ISSIM_OK) {
    temps_drop(&t); /* whatever it wrote may be half a figure */
    return rc;
  }
  return temps_commit(dir, base, &t, err);
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
  int logfd = log_path ? open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
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
