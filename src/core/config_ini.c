/* config_ini.c - see config_ini.h. */
#include <config.h>  /* autoconf; "config.h" would find core/config.h */
#include "core/config_ini.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INI_MAX_NAME 64

struct parser {
	struct ini_doc *doc;
	struct tconf_diag *d;
	unsigned flags;
	struct ini_section *cur;    /* section keys go to; NULL before the first */
	bool swallow;               /* ignore keys until the next header (error said) */
	bool oom;
	int depth;                  /* files being read */
	const char *stack[INI_MAX_INCLUDE_DEPTH + 2];  /* their real paths */
};

static void parse_text(struct parser *p, const char *file, const char *dir,
		       const char *text, size_t len);

static char *skip_ws(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static void rtrim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
}

/* Cut an unquoted text at a comment: ';' or '#' at its start or after a blank. */
static void strip_comment(char *s)
{
	for (char *c = s; *c; c++) {
		if ((*c == ';' || *c == '#') && (c == s || c[-1] == ' ' || c[-1] == '\t')) {
			*c = 0;
			break;
		}
	}
	rtrim(s);
}

static bool is_comment_or_end(const char *s)
{
	s = skip_ws((char *)s);
	return !*s || *s == ';' || *s == '#';
}

static bool valid_name(const char *s, const char *extra)
{
	if (!*s || strlen(s) > INI_MAX_NAME)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

static void *p_alloc(struct parser *p, size_t n)
{
	void *m = tca_alloc(p->doc->arena, n);
	if (!m)
		p->oom = true;
	return m;
}

static char *p_strdup(struct parser *p, const char *s)
{
	char *m = tca_strdup(p->doc->arena, s);
	if (!m)
		p->oom = true;
	return m;
}

/* "(!, tpl1, tpl2)": fills the section's template flag and parent list.
 * 'list' is the text between the parentheses. */
static int parse_parents(struct parser *p, struct ini_section *sec, char *list,
			 const char *file, unsigned line)
{
	size_t cap = 1;
	for (char *c = list; *c; c++)
		cap += *c == ',';
	sec->parents = p_alloc(p, cap * sizeof *sec->parents);
	if (!sec->parents)
		return -1;
	char *item = list;
	for (;;) {
		char *comma = strchr(item, ',');
		if (comma)
			*comma = 0;
		char *name = skip_ws(item);
		rtrim(name);
		if (!*name) {
			tconf_diag(p->d, file, line, "empty name in the template list of [%s]", sec->name);
			return -1;
		}
		if (!strcmp(name, "!")) {
			sec->is_template = true;
		} else if (!valid_name(name, "_-.")) {
			tconf_diag(p->d, file, line, "invalid template name '%s' in the header of [%s]",
				   name, sec->name);
			return -1;
		} else if (!(sec->parents[sec->nparents++] = p_strdup(p, name))) {
			return -1;
		}
		if (!comma)
			break;
		item = comma + 1;
	}
	return 0;
}

static void parse_header(struct parser *p, char *s, const char *file, unsigned line)
{
	p->cur = NULL;
	p->swallow = true;
	char *close = strchr(s, ']');
	if (!close) {
		tconf_diag(p->d, file, line, "malformed section header: missing ']'");
		return;
	}
	*close = 0;
	char *name = skip_ws(s + 1);
	rtrim(name);
	if (!valid_name(name, "_-.")) {
		tconf_diag(p->d, file, line, "invalid section name '%s' (1 to %d letters, digits, '_', '-', '.')",
			   name, INI_MAX_NAME);
		return;
	}
	struct ini_section *sec = p_alloc(p, sizeof *sec);
	if (!sec || !(sec->name = p_strdup(p, name)))
		return;
	sec->file = file;
	sec->line = line;
	sec->ktail = &sec->keys;
	char *rest = skip_ws(close + 1);
	if (*rest == '(') {
		char *cp = strchr(rest, ')');
		if (!cp) {
			tconf_diag(p->d, file, line, "malformed section header: missing ')'");
			return;
		}
		*cp = 0;
		if (parse_parents(p, sec, rest + 1, file, line) < 0)
			return;
		rest = cp + 1;
	}
	if (!is_comment_or_end(rest)) {
		tconf_diag(p->d, file, line, "malformed section header: unexpected '%s' after ']'",
			   skip_ws(rest));
		return;
	}
	*p->doc->tail = sec;
	p->doc->tail = &sec->next;
	p->doc->nsections++;
	p->cur = sec;
	p->swallow = false;
}

/* Value after '=': quoted ("..." with \" and \\) or plain up to a comment. */
static int parse_value(struct parser *p, char *v, const char *file, unsigned line, char **out)
{
	v = skip_ws(v);
	if (*v != '"') {
		strip_comment(v);
		*out = v;
		return 0;
	}
	char *w = v, *r = v + 1;
	for (;; r++) {
		if (!*r) {
			tconf_diag(p->d, file, line, "unterminated quoted value");
			return -1;
		}
		if (*r == '"')
			break;
		if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
			r++;
		*w++ = *r;
	}
	*w = 0;
	if (!is_comment_or_end(r + 1)) {
		tconf_diag(p->d, file, line, "unexpected '%s' after the closing quote", skip_ws(r + 1));
		return -1;
	}
	*out = v;
	return 0;
}

static void parse_keyval(struct parser *p, char *s, const char *file, unsigned line)
{
	char *eq = strchr(s, '=');
	if (!eq) {
		strip_comment(s);
		tconf_diag(p->d, file, line, "expected 'key = value' or '[section]', got '%.40s'", s);
		return;
	}
	*eq = 0;
	rtrim(s);
	if (!*s) {
		tconf_diag(p->d, file, line, "missing key name before '='");
		return;
	}
	if (!valid_name(s, "_-.+")) {
		tconf_diag(p->d, file, line, "invalid key name '%.80s' (1 to %d letters, digits, '_', '-', '.', '+')",
			   s, INI_MAX_NAME);
		return;
	}
	char *value;
	if (parse_value(p, eq + 1, file, line, &value) < 0)
		return;
	if (!p->cur) {
		if (!p->swallow)
			tconf_diag(p->d, file, line, "key '%s' outside any section", s);
		p->swallow = true;
		return;
	}
	struct ini_key *k = p_alloc(p, sizeof *k);
	if (!k || !(k->name = p_strdup(p, s)) || !(k->value = p_strdup(p, value)))
		return;
	k->file = file;
	k->line = line;
	k->section = p->cur->name;
	*p->cur->ktail = k;
	p->cur->ktail = &k->next;
	p->cur->nkeys++;
}

/* Read a whole regular file into a malloc'd buffer. */
static int read_file(const char *path, char **buf, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat st;
	int ret = 0;
	char *b = NULL;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EISDIR;  /* reported as "not a regular file" */
		goto out;
	}
	if ((uintmax_t)st.st_size > INI_MAX_FILE) {
		ret = -EFBIG;
		goto out;
	}
	size_t size = (size_t)st.st_size, got = 0;
	if (!(b = malloc(size + 1))) {
		ret = -ENOMEM;
		goto out;
	}
	while (got < size) {
		ssize_t n = read(fd, b + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto out;
		}
		if (n == 0)
			break;  /* shrank under us: use what is there */
		got += (size_t)n;
	}
	*buf = b;
	*len = got;
	b = NULL;
out:
	free(b);
	close(fd);
	return ret;
}

static const char *errtext(int err)
{
	if (err == -EISDIR)
		return "not a regular file";
	if (err == -EFBIG)
		return "file too large";
	return strerror(-err);
}

/* Read 'path' (named so in messages); from/line: the #include, or NULL. */
static void parse_path(struct parser *p, const char *path, const char *from, unsigned line)
{
	char real[PATH_MAX];
	if (!realpath(path, real)) {
		int err = -errno;
		if (from)
			tconf_diag(p->d, from, line, "cannot include '%s': %s", path, errtext(err));
		else
			tconf_diag(p->d, path, 0, "cannot read: %s", errtext(err));
		return;
	}
	for (int i = 0; i < p->depth; i++) {
		if (p->stack[i] && !strcmp(p->stack[i], real)) {
			tconf_diag(p->d, from, line, "include cycle: '%s' is already being read", path);
			return;
		}
	}
	char *text = NULL;
	size_t len = 0;
	int err = read_file(path, &text, &len);
	if (err < 0) {
		if (from)
			tconf_diag(p->d, from, line, "cannot include '%s': %s", path, errtext(err));
		else
			tconf_diag(p->d, path, 0, "cannot read: %s", errtext(err));
		return;
	}
	const char *slash = strrchr(path, '/');
	char *dir = slash ? tca_strndup(p->doc->arena, path, slash == path ? 1 : (size_t)(slash - path))
			  : tca_strdup(p->doc->arena, ".");
	const char *name = p_strdup(p, path);
	const char *rp = p_strdup(p, real);
	if (dir && name && rp) {
		p->stack[p->depth++] = rp;
		parse_text(p, name, dir, text, len);
		p->depth--;
	} else {
		p->oom = true;
	}
	free(text);
}

static void parse_include(struct parser *p, char *arg, const char *file, const char *dir,
			  unsigned line)
{
	char *name = skip_ws(arg);
	if (*name == '"') {
		char *end = strchr(name + 1, '"');
		if (!end) {
			tconf_diag(p->d, file, line, "#include: missing closing quote");
			return;
		}
		*end = 0;
		if (!is_comment_or_end(end + 1)) {
			tconf_diag(p->d, file, line, "#include: unexpected '%s' after the file name",
				   skip_ws(end + 1));
			return;
		}
		name++;
	} else {
		strip_comment(name);
	}
	if (!*name) {
		tconf_diag(p->d, file, line, "#include needs a file name");
		return;
	}
	if (p->flags & INI_NO_INCLUDE) {
		tconf_diag(p->d, file, line, "#include is not allowed here");
		return;
	}
	if (p->depth > INI_MAX_INCLUDE_DEPTH) {
		tconf_diag(p->d, file, line, "#include '%s': includes nest deeper than %d files",
			   name, INI_MAX_INCLUDE_DEPTH);
		return;
	}
	char *path = (name[0] == '/' || !strcmp(dir, ".")) ? p_strdup(p, name)
		     : tca_printf(p->doc->arena, "%s/%s", dir, name);
	if (!path) {
		p->oom = true;
		return;
	}
	parse_path(p, path, file, line);
}

static void parse_line(struct parser *p, char *s, const char *file, const char *dir, unsigned line)
{
	s = skip_ws(s);
	if (!*s)
		return;
	if (!strncmp(s, "#include", 8) && (s[8] == 0 || s[8] == ' ' || s[8] == '\t')) {
		parse_include(p, s + 8, file, dir, line);
		return;
	}
	if (*s == ';' || *s == '#')
		return;
	if (*s == '[')
		parse_header(p, s, file, line);
	else
		parse_keyval(p, s, file, line);
}

/* Bytes no configuration line may hold: control characters except tab
 * (a stray CR in a value would end up in a SIP header). */
static int bad_byte(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return c;
	}
	return -1;
}

static void parse_text(struct parser *p, const char *file, const char *dir,
		       const char *text, size_t len)
{
	char buf[INI_MAX_LINE + 1];
	size_t pos = 0;
	unsigned line = 0;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3))
		pos = 3;  /* UTF-8 byte order mark from some editors */
	while (pos < len && !p->oom) {
		const char *start = text + pos;
		const char *nl = memchr(start, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - start) : len - pos;
		pos += n + (nl != NULL);
		line++;
		if (n && start[n - 1] == '\r')
			n--;
		if (n > INI_MAX_LINE) {
			tconf_diag(p->d, file, line, "line longer than %d bytes", INI_MAX_LINE);
			continue;
		}
		int c = bad_byte(start, n);
		if (c == 0) {
			tconf_diag(p->d, file, line, "NUL byte in line");
			continue;
		}
		if (c > 0) {
			tconf_diag(p->d, file, line, "control character 0x%02x in line", c);
			continue;
		}
		memcpy(buf, start, n);
		buf[n] = 0;
		parse_line(p, buf, file, dir, line);
	}
}

static void parser_init(struct parser *p, struct ini_doc *doc, struct tconf_diag *d, unsigned flags)
{
	memset(p, 0, sizeof *p);
	p->doc = doc;
	p->d = d;
	p->flags = flags;
	if (!doc->tail)
		doc->tail = &doc->first;
}

int ini_parse_file(struct ini_doc *doc, const char *path, struct tconf_diag *d)
{
	struct parser p;
	parser_init(&p, doc, d, 0);
	parse_path(&p, path, NULL, 0);
	if (p.oom)
		tconf_diag(d, path, 0, "out of memory");
	return p.oom ? -ENOMEM : 0;
}

int ini_parse_string(struct ini_doc *doc, const char *name, const char *text, size_t len,
		     unsigned flags, struct tconf_diag *d)
{
	struct parser p;
	parser_init(&p, doc, d, flags);
	const char *n = p_strdup(&p, name);
	if (n) {
		p.stack[p.depth++] = NULL;  /* no real path: a string is never included */
		parse_text(&p, n, ".", text, len);
	}
	if (p.oom)
		tconf_diag(d, name, 0, "out of memory");
	return p.oom ? -ENOMEM : 0;
}
