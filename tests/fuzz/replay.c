/* Replays files through a fuzz harness (LLVMFuzzerTestOneInput) without
 * libFuzzer: every file of the directories named on the command line, or
 * the files named.  make check runs it on each harness's seeds and on the
 * crashers kept in tests/fuzz/crashers/, so that what the fuzzer once found
 * stays fixed in every build (gcc, valgrind, sanitizers). */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    perror(path);
    return 1;
  }
  size_t cap = 4096, n = 0, got;
  uint8_t *buf = malloc(cap);
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      uint8_t *grown = realloc(buf, 2 * cap);
      if (grown == NULL)
        break;
      buf = grown, cap *= 2;
    }
  }
  fclose(f);
  if (buf == NULL)
    return 1;
  LLVMFuzzerTestOneInput(buf, n);
  free(buf);
  return 0;
}

static int replay(const char *path, size_t *count)
{
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    return 1;
  }
  if (!S_ISDIR(st.st_mode)) {
    ++*count;
    return replay_file(path);
  }
  DIR *dir = opendir(path);
  if (dir == NULL) {
    perror(path);
    return 1;
  }
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(dir)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char child[4096];
    snprintf(child, sizeof child, "%s/%s", path, e->d_name);
    rc |= replay(child, count);
  }
  closedir(dir);
  return rc;
}

int main(int argc, char **argv)
{
  size_t count = 0;
  int rc = 0;
  for (int i = 1; i < argc; i++)
    rc |= replay(argv[i], &count);
  printf("%s: %zu inputs replayed\n", argv[0], count);
  return rc;
}
