# servers.sh - start and stop the test servers on 127.0.0.1.  Source it:
#
#	. "$(dirname "$0")/../servers/servers.sh"
#	faultd_start "$root"        # FAULTD_URL, FAULTD_PORT, FAULTD_PID, FAULTD_LOG
#	curl "$FAULTD_URL/_fault/status=503,fail-first=1/file"
#	faultd_requests             # requests served so far
#	faultd_stop
#
#	s3rver_start "$dir"         # S3RVER_URL, S3RVER_ACCESS_KEY_ID, ...
#	s3rver_put bucket key file
#	s3rver_stop
#
# Every server gets a watchdog that stops it when the sourcing shell exits,
# so a test that dies early leaks no process.  Environment: SLUGC_O is the
# build directory (default build, relative to the repository root);
# SLUGC_NODE_DIR is where npm installs s3rver (default build/node).

servers_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
case ${SLUGC_O:-build} in
/*) servers_o=${SLUGC_O} ;;
*) servers_o=$servers_repo/${SLUGC_O:-build} ;;
esac
servers_node=${SLUGC_NODE_DIR:-$servers_repo/build/node}

# servers_wait_file FILE PID SECONDS: waits until FILE is non-empty; fails if
# PID dies first or time runs out.
servers_wait_file() {
	local i n=$(($3 * 10))
	for ((i = 0; i < n; i++)); do
		[ -s "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# servers_watch PID [DIR]: kills PID (TERM, then KILL) and removes DIR once
# this shell is gone.  Prints the watchdog's pid.
servers_watch() {
	local shell=$$
	(
		trap '' INT
		while kill -0 "$shell" 2>/dev/null; do sleep 1; done
		kill -TERM "$1" 2>/dev/null
		sleep 2
		kill -KILL "$1" 2>/dev/null
		[ -n "${2:-}" ] && rm -rf "$2"
	) </dev/null >/dev/null 2>&1 &
	echo $!
}

# servers_kill PID WATCHDOG: stops a server we started and returns its exit
# status (143 if it had to be killed, 0 for a clean SIGTERM exit).
servers_kill() {
	local pid=$1 dog=$2 rc=0 i
	[ -n "$dog" ] && kill "$dog" 2>/dev/null
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	if wait "$pid" 2>/dev/null; then
		return 0
	else
		rc=$?
	fi
	# Not our child (started in another subshell): poll, then insist.
	if [ $rc -eq 127 ]; then
		rc=0
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" 2>/dev/null || return 0
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		rc=137
	fi
	return $rc
}

# faultd_start ROOT [faultd options...]: starts faultd serving ROOT on an
# ephemeral port and waits (up to 10 s) until it listens.
faultd_start() {
	local root=${1:?faultd_start ROOT}
	shift
	local bin=$servers_o/servers/faultd
	if [ ! -x "$bin" ]; then
		echo "faultd_start: $bin is missing (make $bin)" >&2
		return 1
	fi
	FAULTD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/faultd.XXXXXX") || return 1
	FAULTD_LOG=$FAULTD_DIR/requests.log
	: >"$FAULTD_LOG"
	"$bin" -d "$root" -P "$FAULTD_DIR/port" -l "$FAULTD_LOG" "$@" \
	    </dev/null >"$FAULTD_DIR/stderr" 2>&1 &
	FAULTD_PID=$!
	if ! servers_wait_file "$FAULTD_DIR/port" "$FAULTD_PID" 10; then
		echo "faultd_start: faultd did not start:" >&2
		cat "$FAULTD_DIR/stderr" >&2
		kill -KILL "$FAULTD_PID" 2>/dev/null
		rm -rf "$FAULTD_DIR"
		return 1
	fi
	FAULTD_WATCHDOG=$(servers_watch "$FAULTD_PID" "$FAULTD_DIR")
	FAULTD_PORT=$(cat "$FAULTD_DIR/port")
	FAULTD_URL=http://127.0.0.1:$FAULTD_PORT
	export FAULTD_PORT FAULTD_PID FAULTD_URL FAULTD_LOG FAULTD_DIR
}

# faultd_url SPEC PATH: the URL of PATH (starting with /) with faults SPEC.
faultd_url() {
	echo "$FAULTD_URL/_fault/$1$2"
}

# faultd_requests: the number of requests served so far (not /_stats).
faultd_requests() {
	local n
	n=$(wc -l <"$FAULTD_LOG") || return 1
	echo $((n))
}

# faultd_stop: stops faultd.  Fails if faultd did not exit 0 (under ASan,
# that is a leak or an error report, which is printed).
faultd_stop() {
	local rc=0
	[ -n "${FAULTD_PID:-}" ] || return 0
	servers_kill "$FAULTD_PID" "$FAULTD_WATCHDOG" || rc=$?
	if [ $rc -ne 0 ]; then
		echo "faultd_stop: faultd exited $rc:" >&2
		cat "$FAULTD_DIR/stderr" >&2
	fi
	rm -rf "$FAULTD_DIR"
	unset FAULTD_PID FAULTD_WATCHDOG FAULTD_PORT FAULTD_URL FAULTD_DIR
	return $rc
}

# s3rver_install: installs s3rver@3 with npm under build/node, once (about
# 10 s; a lock keeps parallel test scripts from installing twice).
s3rver_install() {
	local mod=$servers_node/node_modules/s3rver
	[ -f "$mod/package.json" ] && return 0
	if ! command -v npm >/dev/null; then
		echo "s3rver_install: npm not found (apt-get install nodejs npm)" >&2
		return 1
	fi
	mkdir -p "$servers_node" || return 1
	(
		flock 9
		[ -f "$mod/package.json" ] && exit 0
		npm install --prefix "$servers_node" --no-audit --no-fund \
		    --loglevel=error s3rver@3 >&2
	) 9>"$servers_node/.install.lock"
}

# s3rver_start DIR [s3rver.js options...]: runs s3rver (through
# tests/servers/s3rver.js: private buckets, SigV4 checked) with its data in
# DIR, on an ephemeral port.  Options: --public BUCKET, --region REGION,
# --no-verify.  Waits up to 20 s for it to listen.
s3rver_start() {
	local dir=${1:?s3rver_start DIR}
	shift
	s3rver_install || return 1
	: "${S3RVER_ACCESS_KEY_ID:=AKIAIOSFODNN7EXAMPLE}"
	: "${S3RVER_SECRET_ACCESS_KEY:=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY}"
	: "${S3RVER_REGION:=us-east-1}"
	export S3RVER_ACCESS_KEY_ID S3RVER_SECRET_ACCESS_KEY S3RVER_REGION
	mkdir -p "$dir/data" || return 1
	S3RVER_LOG=$dir/s3rver.log
	rm -f "$dir/port"
	S3RVER_MODULE=$servers_node/node_modules/s3rver \
	    node "$servers_repo/tests/servers/s3rver.js" -d "$dir/data" \
	    -P "$dir/port" "$@" </dev/null >"$S3RVER_LOG" 2>&1 &
	S3RVER_PID=$!
	if ! servers_wait_file "$dir/port" "$S3RVER_PID" 20; then
		echo "s3rver_start: s3rver did not start:" >&2
		cat "$S3RVER_LOG" >&2
		kill -KILL "$S3RVER_PID" 2>/dev/null
		return 1
	fi
	S3RVER_WATCHDOG=$(servers_watch "$S3RVER_PID")
	S3RVER_PORT=$(cat "$dir/port")
	S3RVER_URL=http://127.0.0.1:$S3RVER_PORT
	export S3RVER_PORT S3RVER_URL S3RVER_PID S3RVER_LOG
}

# s3rver_stop: stops s3rver.
s3rver_stop() {
	[ -n "${S3RVER_PID:-}" ] || return 0
	servers_kill "$S3RVER_PID" "$S3RVER_WATCHDOG"
	unset S3RVER_PID S3RVER_WATCHDOG S3RVER_PORT S3RVER_URL
	return 0
}

# s3rver_key_path KEY: KEY as a URL path, each byte but [A-Za-z0-9-._~/]
# percent-encoded (what S3's canonical request expects).
s3rver_key_path() {
	local LC_ALL=C s=$1 out= c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9._~/-]) out+=$c ;;
		*) printf -v c '%%%02X' "'$c"; out+=$c ;;
		esac
	done
	echo "$out"
}

# s3rver_curl [curl options...] URL: curl with SigV4 signing for s3rver.
# Adds x-amz-content-sha256 for an empty body unless the caller gives one.
s3rver_curl() {
	local a has=
	for a in "$@"; do
		case $a in
		[Xx]-[Aa][Mm][Zz]-[Cc]ontent-[Ss][Hh][Aa]256:*) has=1 ;;
		esac
	done
	set -- --aws-sigv4 "aws:amz:$S3RVER_REGION:s3" \
	    --user "$S3RVER_ACCESS_KEY_ID:$S3RVER_SECRET_ACCESS_KEY" "$@"
	[ -n "$has" ] || set -- -H "x-amz-content-sha256: $(sha256sum \
	    </dev/null | cut -d' ' -f1)" "$@"
	curl -sS "$@"
}

# s3rver_put BUCKET KEY FILE: creates BUCKET if needed and uploads FILE as
# KEY, signed.  Fails unless both answers are 2xx.
s3rver_put() {
	local bucket=${1:?s3rver_put BUCKET KEY FILE} key=${2:?} file=${3:?}
	local code hash path
	code=$(s3rver_curl -o /dev/null -w '%{http_code}' -X PUT \
	    "$S3RVER_URL/$bucket") || return 1
	# s3rver answers 409 BucketAlreadyExists for a bucket we made earlier.
	case $code in
	2??|409) ;;
	*) echo "s3rver_put: creating bucket $bucket: HTTP $code" >&2
	   return 1 ;;
	esac
	hash=$(sha256sum <"$file" | cut -d' ' -f1) || return 1
	path=$(s3rver_key_path "$key")
	code=$(s3rver_curl -o /dev/null -w '%{http_code}' \
	    -H "x-amz-content-sha256: $hash" -T "$file" \
	    "$S3RVER_URL/$bucket/$path") || return 1
	case $code in
	2??) return 0 ;;
	*) echo "s3rver_put: $bucket/$key: HTTP $code" >&2
	   return 1 ;;
	esac
}

# s3rver_get BUCKET KEY OUT: downloads KEY, signed; fails on non-2xx.
s3rver_get() {
	local bucket=${1:?s3rver_get BUCKET KEY OUT} key=${2:?} out=${3:?}
	s3rver_curl -f -o "$out" \
	    "$S3RVER_URL/$bucket/$(s3rver_key_path "$key")"
}
