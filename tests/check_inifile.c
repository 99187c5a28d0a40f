/* Tests of src/inifile.c: the syntax pass of a scenario file (sections,
 * entries with their lines, continuations, and the silent inih behaviours it
 * turns into messages). */
#define _POSIX_C_SOURCE 200809L /* fmemopen */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "inifile.h"

static int read_bytes(const char *text, size_t len, issim_inifile *r, issim_error *err)
{
  FILE *f = fmemopen((void *)text, len, "r");
  ck_assert_ptr_nonnull(f);
  int rc = issim_inifile_read(r, f, "t.ini", err);
  fclose(f);
  return rc;
}

static int read_text(const char *text, issim_inifile *r, issim_error *err)
{
  return read_bytes(text, strlen(text), r, err);
}

START_TEST(test_sections_entries_and_lines)
{
  issim_inifile r;
  issim_error err;
  const char *text = "; a comment\n[target]\ndistribution = normal\n\n[event]\nthreshold = 5 ; five\n"
                     "description = a long\n  value over lines ; with a comment\n";
  ck_assert_int_eq(read_text(text, &r, &err), ISSIM_OK);
  ck_assert_uint_eq(r.n, 2);
  ck_assert_str_eq(r.sections[0].name, "target");
  ck_assert_int_eq(r.sections[0].line, 2);
  issim_inifile_entry *e = issim_inifile_find(&r.sections[1], "threshold");
  ck_assert_ptr_nonnull(e);
  ck_assert_str_eq(e->value, "5");
  ck_assert_int_eq(e->line, 6);
  e = issim_inifile_find(&r.sections[1], "description");
  ck_assert_str_eq(e->value, "a long value over lines");
  ck_assert_ptr_null(issim_inifile_find(&r.sections[1], "nothing"));
  issim_inifile_free(&r);
}
END_TEST

/* Each bad text, and the line and words its message must have. */
START_TEST(test_errors_name_the_line)
{
  static const struct {
    const char *text, *want;
  } cases[] = {
    {"key = 1\n[target]\n", "t.ini:1: key 'key' is outside any section"},
    {"[a]\nx = 1\nx = 2\n", "t.ini:3: key 'x' given twice"},
    {"[a]\n[b]\n[a]\n", "t.ini:3: section [a] appears twice"},
    {"[a]\nx = 1\n  y = 2\n", "t.ini:3: this indented line would be read as the continuation of 'x'"},
    {"[a]\nthis is not ini\n", "t.ini:2: cannot read this line"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    issim_inifile r;
    issim_error err;
    ck_assert_int_eq(read_text(cases[i].text, &r, &err), ISSIM_EINVAL);
    ck_assert_msg(strstr(err.message, cases[i].want) != NULL, "case %zu: %s", i, err.message);
    issim_inifile_free(&r);
  }
}
END_TEST

START_TEST(test_long_line_is_refused)
{
  char text[400] = "[a]\nx = ";
  size_t n = strlen(text);
  memset(text + n, 'y', 250);
  strcpy(text + n + 250, "\n");
  issim_inifile r;
  issim_error err;
  ck_assert_int_eq(read_text(text, &r, &err), ISSIM_EINVAL);
  ck_assert_msg(strstr(err.message, "t.ini:2: line longer than 198 characters"), "%s", err.message);
  issim_inifile_free(&r);
}
END_TEST

/* A NUL byte, a lone CR, a UTF-16 file: refused at the line as not text.
 * Before, a NUL at the start of a line dropped the line silently (sd = 2
 * ignored) and the others were "line longer than 198 characters". */
START_TEST(test_not_text_is_refused)
{
  static const struct {
    const char *text;
    size_t len;
    const char *want;
  } cases[] = {
    {"[target]\nmean = 0\n\0sd = 2\n", 25, "t.ini:3: not a UTF-8 text file: this line holds a NUL byte"},
    {"[target]\nsd = 2\0 ; x\n", 22, "t.ini:2: not a UTF-8 text file: this line holds a NUL byte"},
    {"[target]\rmean = 0\rsd = 2\r", 27, "t.ini:1: not a UTF-8 text file: this line holds a carriage return"},
    {"[a]\nx = 1\r\ny = 2\r", 19, "t.ini:3: not a UTF-8 text file: this line holds a carriage return"},
    /* "[a]\n" in UTF-16LE, with its byte-order mark */
    {"\xFF\xFE[\0a\0]\0\n\0", 10, "t.ini:1: not a UTF-8 text file: this line holds a NUL byte"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    issim_inifile r;
    issim_error err;
    ck_assert_int_eq(read_bytes(cases[i].text, cases[i].len, &r, &err), ISSIM_EINVAL);
    ck_assert_msg(strstr(err.message, cases[i].want) != NULL, "case %zu: %s", i, err.message);
    issim_inifile_free(&r);
  }
  /* CRLF line ends are text */
  issim_inifile r;
  issim_error err;
  ck_assert_int_eq(read_text("[a]\r\nx = 1\r\n  and more\r\ny = 2\r\n", &r, &err), ISSIM_OK);
  ck_assert_str_eq(issim_inifile_find(&r.sections[0], "x")->value, "1 and more");
  ck_assert_str_eq(issim_inifile_find(&r.sections[0], "y")->value, "2");
  issim_inifile_free(&r);
}
END_TEST

/* A value continued over 2 MB of lines is read whole, in linear time: each
 * line used to copy the value so far (33 s for 2 MB; the case's timeout is
 * the default 4 s). */
START_TEST(test_long_continuation_is_linear)
{
  const size_t lines = 11000, width = 190;
  size_t size = 32 + lines * (width + 4);
  char *text = malloc(size);
  ck_assert_ptr_nonnull(text);
  size_t n = (size_t)sprintf(text, "[scenario]\ndescription = start\n");
  for (size_t i = 0; i < lines; i++) {
    text[n++] = ' ';
    memset(text + n, 'a' + (char)(i % 26), width);
    n += width;
    text[n++] = '\n';
  }
  text[n] = '\0';
  issim_inifile r;
  issim_error err;
  ck_assert_int_eq(read_text(text, &r, &err), ISSIM_OK);
  const char *v = issim_inifile_find(&r.sections[0], "description")->value;
  ck_assert_uint_eq(strlen(v), 5 + lines * (width + 1));
  for (size_t i = 0; i < lines; i++) {
    const char *part = v + 5 + i * (width + 1);
    ck_assert_int_eq(part[0], ' ');
    ck_assert_int_eq(part[1], 'a' + (char)(i % 26));
    ck_assert_int_eq(part[width], 'a' + (char)(i % 26));
  }
  issim_inifile_free(&r);
  free(text);
}
END_TEST

START_TEST(test_trim)
{
  char s[] = " \t padded  \n";
  ck_assert_str_eq(issim_inifile_trim(s), "padded");
}
END_TEST

static Suite *inifile_suite(void)
{
  Suite *s = suite_create("inifile");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_sections_entries_and_lines);
  tcase_add_test(tc, test_errors_name_the_line);
  tcase_add_test(tc, test_long_line_is_refused);
  tcase_add_test(tc, test_not_text_is_refused);
  tcase_add_test(tc, test_long_continuation_is_linear);
  tcase_add_test(tc, test_trim);
  suite_add_tcase(s, tc);
  return s;
}

int main(void)
{
  return run_suite(inifile_suite());
}
