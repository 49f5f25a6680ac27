#!/usr/bin/env bash
# slugc build of git apps: what a push deploys is HEAD's tree; uncommitted
# changes are left out with a warning; SOURCE_VERSION; reproducible slugs
# from one commit; --worktree; --commit.
. "$(dirname "$0")/../lib.sh"

BP=$FIXTURES/buildpacks
export XDG_CACHE_HOME=$TEST_TMP/xdg
unset SLUGC_BUILDPACKS SOURCE_DATE_EPOCH
# A git of our own: no user or system configuration, fixed identity and date.
export HOME=$TEST_TMP/home GIT_CONFIG_NOSYSTEM=1
export GIT_AUTHOR_NAME=Test GIT_AUTHOR_EMAIL=test@example.com
export GIT_COMMITTER_NAME=Test GIT_COMMITTER_EMAIL=test@example.com
export GIT_AUTHOR_DATE='1700000000 +0000' GIT_COMMITTER_DATE='1700000000 +0000'
mkdir -p "$HOME"
A=$TEST_TMP/gitapp

test_expect_success 'setup: a committed app, then uncommitted changes' '
	mkdir -p "$A/bin" &&
	printf "web: bin/web\n" >"$A/Procfile" &&
	printf "#!/bin/sh\necho committed\n" >"$A/bin/web" && chmod 755 "$A/bin/web" &&
	ln -s bin/web "$A/link" &&
	echo committed >"$A/data.txt" &&
	git -C "$A" init -q && git -C "$A" add -A && git -C "$A" commit -q -m one &&
	HEAD=$(git -C "$A" rev-parse HEAD) &&
	echo changed >"$A/data.txt" &&
	echo new >"$A/untracked.txt"
'

test_expect_success 'git app: HEAD is built, the changes are named and left out' '
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/g1.tgz" "$A" >log 2>&1 &&
	cat log &&
	short=$(echo $HEAD | cut -c1-7) &&
	test_grep "^-----> Building commit $short of $A\$" log &&
	test_grep "^ !     2 uncommitted changes are left out of this build: .*data.txt" log &&
	test_grep "untracked.txt" log &&
	test_grep "^ !     Commit them, or build the directory as it is with --worktree.\$" log &&
	tar xzOf "$TEST_TMP/g1.tgz" ./app/data.txt >data &&
	echo committed >expect && test_cmp expect data &&
	tar tzf "$TEST_TMP/g1.tgz" >list &&
	test_no_grep untracked list &&
	test_no_grep "^./app/.git" list
'

test_expect_success 'git app: SOURCE_VERSION is the commit' '
	tar xzOf "$TEST_TMP/g1.tgz" ./app/.build-info >info &&
	test_grep "^SOURCE_VERSION=$HEAD\$" info
'

test_expect_success 'git app: exec bits and symlinks survive, mtime is the commit time' '
	TZ=UTC tar tvzf "$TEST_TMP/g1.tgz" --numeric-owner --full-time >long &&
	cat long &&
	test_grep "^-rwxr-xr-x 0/0 .* ./app/bin/web\$" long &&
	test_grep "^lrwxrwxrwx 0/0 .* ./app/link -> bin/web\$" long &&
	test_no_grep -v "2023-11-14 22:13:20" long
'

test_expect_success 'git app: the work tree and the index are untouched' '
	echo changed >expect && test_cmp expect "$A/data.txt" &&
	git -C "$A" status --porcelain >st &&
	test_grep "^ M data.txt\$" st &&
	test_grep "^?? untracked.txt\$" st
'

test_expect_success 'git app: two builds of one commit give byte-identical slugs' '
	echo more >"$A/untracked2.txt" &&
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/g2.tgz" "$A" >log2 2>&1 &&
	cmp "$TEST_TMP/g1.tgz" "$TEST_TMP/g2.tgz"
'

test_expect_success 'git app: --worktree builds the directory as it is' '
	"$SLUGC" build --worktree -b "$BP/null" -o "$TEST_TMP/g3.tgz" "$A" >log 2>&1 &&
	cat log &&
	test_grep "^-----> Building $A as it is (--worktree, HEAD $short)\$" log &&
	test_no_grep "uncommitted" log &&
	tar xzOf "$TEST_TMP/g3.tgz" ./app/data.txt >data &&
	echo changed >expect && test_cmp expect data &&
	tar tzf "$TEST_TMP/g3.tgz" >list &&
	test_grep "^./app/untracked.txt\$" list &&
	test_no_grep "^./app/.git" list
'

test_expect_success '--commit: an older commit, the work tree not read' '
	git -C "$A" tag first "$HEAD" &&
	echo dirty >"$A/data.txt" &&
	"$SLUGC" build --commit first -b "$BP/null" -o "$TEST_TMP/c1.tgz" "$A" >log 2>&1 &&
	cat log &&
	test_grep "^-----> Building commit $short of $A\$" log &&
	test_no_grep "uncommitted" log &&
	tar xzOf "$TEST_TMP/c1.tgz" ./app/data.txt >data &&
	echo committed >expect && test_cmp expect data &&
	tar xzOf "$TEST_TMP/c1.tgz" ./app/.build-info >info &&
	test_grep "^SOURCE_VERSION=$HEAD\$" info &&
	cmp "$TEST_TMP/g1.tgz" "$TEST_TMP/c1.tgz" &&
	echo dirty >expect && test_cmp expect "$A/data.txt" &&
	echo changed >"$A/data.txt"
'

test_expect_success '--commit: a bare repository, as a push'"'"'s remote holds it' '
	git clone -q --bare "$A" "$TEST_TMP/bare.git" &&
	"$SLUGC" build --commit "$HEAD" --app bare -b "$BP/null" -o "$TEST_TMP/c2.tgz" "$TEST_TMP/bare.git" >log 2>&1 &&
	test_grep "^-----> Building commit $short of bare\$" log &&
	cmp "$TEST_TMP/g1.tgz" "$TEST_TMP/c2.tgz"
'

test_expect_success '--commit: an unknown revision, a non-repository, --worktree' '
	test_expect_code 4 "$SLUGC" build --commit nope -b "$BP/null" -o "$TEST_TMP/c3.tgz" "$A" >log 2>&1 &&
	test_grep "^ !     $A: no commit nope in this repository\$" log &&
	test ! -e "$TEST_TMP/c3.tgz" &&
	mkdir -p "$TEST_TMP/plain" && printf "web: x\n" >"$TEST_TMP/plain/Procfile" &&
	test_expect_code 4 "$SLUGC" build --commit HEAD -b "$BP/null" -o "$TEST_TMP/c3.tgz" "$TEST_TMP/plain" >log 2>&1 &&
	test_grep "$TEST_TMP/plain: not a git repository" log &&
	test_expect_code 2 "$SLUGC" build --commit HEAD --worktree "$A" >log 2>&1 &&
	test_grep "commit and --worktree do not go together" log &&
	test_expect_code 2 "$SLUGC" build --commit=--output=x "$A" >log 2>&1 &&
	test_grep "not a revision" log &&
	test ! -e "$A/x"
'

test_expect_success 'git app: a new commit changes the slug' '
	git -C "$A" add -A && git -C "$A" commit -q -m two &&
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/g4.tgz" "$A" >log 2>&1 &&
	test_no_grep "uncommitted" log &&
	tar xzOf "$TEST_TMP/g4.tgz" ./app/data.txt >data &&
	echo changed >expect && test_cmp expect data
'

test_expect_success 'git repository without a commit: refused with advice' '
	B=$TEST_TMP/empty && mkdir -p "$B" && printf "web: x\n" >"$B/Procfile" &&
	git -C "$B" init -q &&
	test_must_fail "$SLUGC" build -b "$BP/null" -o "$TEST_TMP/e.tgz" "$B" >log 2>&1 &&
	test_grep "no commit to deploy" log &&
	"$SLUGC" build --worktree -b "$BP/null" -o "$TEST_TMP/e.tgz" "$B" >log 2>&1
'

test_expect_success 'an app in a subdirectory of a repository: its committed subtree' '
	R=$TEST_TMP/mono-repo && mkdir -p "$R/apps/api" &&
	printf "web: api\n" >"$R/apps/api/Procfile" && echo top >"$R/top.txt" &&
	git -C "$R" init -q && git -C "$R" add -A && git -C "$R" commit -q -m one &&
	"$SLUGC" build -b "$BP/null" -o "$TEST_TMP/sub.tgz" "$R/apps/api" >log 2>&1 &&
	tar tzf "$TEST_TMP/sub.tgz" >list &&
	test_grep "^./app/Procfile\$" list &&
	test_no_grep "top.txt" list
'

test_done
