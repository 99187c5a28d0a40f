/* Tests of src/error.c: codes, messages, the key at fault, clearing, and
 * truncation of messages and keys longer than their buffers. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "check_main.h"
#include "error.h"

/* an error whose every byte is set, to see what set and clear overwrite */
static issim_error dirty(void)
{
  issim_error err;
  memset(&err, 'x', sizeof err);
  err.code = -7;
  return err;
}

START_TEST(test_codes_are_distinct)
{
  const int codes[] = {ISSIM_OK, ISSIM_EINVAL, ISSIM_ENOMEM, ISSIM_EIO, ISSIM_ECOVER,
                       ISSIM_EINTERNAL, ISSIM_ENOTDONE, ISSIM_ELOSS};
  const size_t n = sizeof codes / sizeof codes[0];
  ck_assert_int_eq(ISSIM_OK, 0); /* "returns 0 on success" is how callers test it */
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      ck_assert_int_ne(codes[i], codes[j]);
}
END_TEST

START_TEST(test_set_formats_and_returns_the_code)
{
  issim_error err = dirty();
  int rc = issim_error_set(&err, ISSIM_EINVAL, "sd must be > 0 (got %g) in '%s', line %d", -1.5,
                           "a.ini", 3);
  ck_assert_int_eq(rc, ISSIM_EINVAL);
  ck_assert_int_eq(err.code, ISSIM_EINVAL);
  ck_assert_str_eq(err.message, "sd must be > 0 (got -1.5) in 'a.ini', line 3");
  ck_assert_str_eq(err.key, ""); /* no key: cleared, not left from before */
}
END_TEST

START_TEST(test_set_key_records_the_key)
{
  issim_error err = dirty();
  ck_assert_int_eq(issim_error_set_key(&err, ISSIM_ECOVER, "upper", "upper = %d is too low", 4),
                   ISSIM_ECOVER);
  ck_assert_int_eq(err.code, ISSIM_ECOVER);
  ck_assert_str_eq(err.key, "upper");
  ck_assert_str_eq(err.message, "upper = 4 is too low");
  /* a later error without a key does not keep the old one */
  issim_error_set(&err, ISSIM_EIO, "cannot read");
  ck_assert_str_eq(err.key, "");
  ck_assert_str_eq(err.message, "cannot read");
  ck_assert_int_eq(err.code, ISSIM_EIO);
  /* a NULL key is no key */
  issim_error_set_key(&err, ISSIM_EINVAL, NULL, "m");
  ck_assert_str_eq(err.key, "");
}
END_TEST

START_TEST(test_null_error_still_returns_the_code)
{
  ck_assert_int_eq(issim_error_set(NULL, ISSIM_ENOMEM, "out of memory for %zu", (size_t)8),
                   ISSIM_ENOMEM);
  ck_assert_int_eq(issim_error_set_key(NULL, ISSIM_EINTERNAL, "k", "bug"), ISSIM_EINTERNAL);
  ck_assert_int_eq(issim_error_set(NULL, ISSIM_OK, "fine"), ISSIM_OK);
  issim_error_clear(NULL); /* must not crash */
}
END_TEST

START_TEST(test_clear)
{
  issim_error err = dirty();
  issim_error_set_key(&err, ISSIM_EINVAL, "mean", "bad mean");
  issim_error_clear(&err);
  ck_assert_int_eq(err.code, ISSIM_OK);
  ck_assert_str_eq(err.key, "");
  ck_assert_str_eq(err.message, "");
}
END_TEST

START_TEST(test_long_message_is_truncated_not_overrun)
{
  /* a message of 3000 characters keeps its first 1023 and its terminator,
   * and writes nothing past the buffer */
  struct {
    issim_error err;
    char guard[32];
  } box;
  memset(&box, 'g', sizeof box);
  char longtext[3001];
  for (size_t i = 0; i < sizeof longtext - 1; i++)
    longtext[i] = (char)('a' + i % 26);
  longtext[sizeof longtext - 1] = '\0';
  ck_assert_int_eq(issim_error_set(&box.err, ISSIM_EINVAL, "%s", longtext), ISSIM_EINVAL);
  ck_assert_uint_eq(strlen(box.err.message), ISSIM_ERROR_MESSAGE_SIZE - 1);
  ck_assert(strncmp(box.err.message, longtext, ISSIM_ERROR_MESSAGE_SIZE - 1) == 0);
  for (size_t i = 0; i < sizeof box.guard; i++)
    ck_assert_int_eq(box.guard[i], 'g');
  /* a short message afterwards replaces it whole */
  issim_error_set(&box.err, ISSIM_EIO, "short");
  ck_assert_str_eq(box.err.message, "short");
}
END_TEST

START_TEST(test_long_key_is_truncated)
{
  issim_error err = dirty();
  char key[200];
  memset(key, 'k', sizeof key - 1);
  key[sizeof key - 1] = '\0';
  issim_error_set_key(&err, ISSIM_EINVAL, key, "about %s", "it");
  ck_assert_uint_eq(strlen(err.key), ISSIM_ERROR_KEY_SIZE - 1);
  ck_assert(strncmp(err.key, key, ISSIM_ERROR_KEY_SIZE - 1) == 0);
  ck_assert_str_eq(err.message, "about it");
}
END_TEST

START_TEST(test_message_at_the_exact_size)
{
  /* 1023 characters fit exactly; 1024 lose their last */
  char text[ISSIM_ERROR_MESSAGE_SIZE + 1];
  memset(text, 'm', sizeof text - 1);
  text[sizeof text - 1] = '\0';
  issim_error err = dirty();
  text[ISSIM_ERROR_MESSAGE_SIZE - 1] = '\0'; /* 1023 */
  issim_error_set(&err, ISSIM_EINVAL, "%s", text);
  ck_assert_str_eq(err.message, text);
  text[ISSIM_ERROR_MESSAGE_SIZE - 1] = 'z'; /* 1024, ending in z */
  issim_error_set(&err, ISSIM_EINVAL, "%s", text);
  ck_assert_uint_eq(strlen(err.message), ISSIM_ERROR_MESSAGE_SIZE - 1);
  ck_assert(strchr(err.message, 'z') == NULL);
}
END_TEST

int main(void)
{
  Suite *s = suite_create("error");
  TCase *tc = tcase_create("error");
  tcase_add_test(tc, test_codes_are_distinct);
  tcase_add_test(tc, test_set_formats_and_returns_the_code);
  tcase_add_test(tc, test_set_key_records_the_key);
  tcase_add_test(tc, test_null_error_still_returns_the_code);
  tcase_add_test(tc, test_clear);
  tcase_add_test(tc, test_long_message_is_truncated_not_overrun);
  tcase_add_test(tc, test_long_key_is_truncated);
  tcase_add_test(tc, test_message_at_the_exact_size);
  suite_add_tcase(s, tc);
  return run_suite(s);
}
