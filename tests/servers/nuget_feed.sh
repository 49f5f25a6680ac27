# nuget_feed.sh - a NuGet v3 feed as static files, for faultd (or any file
# server) to serve.  Source it:
#
#	. "$REPO/tests/servers/nuget_feed.sh"
#	nuget_feed_add "$feed" /usr/share/nupkg/Newtonsoft.Json.6.0.8.nupkg \
#	    Newtonsoft.Json 6.0.8
#	faultd_start "$feed"
#	nuget_feed_index "$feed" "$FAULTD_URL/flat/"        # index.json
#	# NUGET_SOURCE=$FAULTD_URL/index.json
#
# The layout is the v3 protocol's: a service index whose
# PackageBaseAddress/3.0.0 resource is the flat container, and there
# {id}/{version}/{id}.{version}.nupkg with id and version lowercased.  Faults
# go in the base address: nuget_feed_index "$feed" \
# "$FAULTD_URL/_fault/status=503,fail-first=1/flat/" index-flaky.json.

# nuget_feed_add DIR FILE ID VERSION: puts the .nupkg FILE in DIR's flat
# container as package ID, VERSION (normalized: 1.0.0, not 1.0).
nuget_feed_add() {
	local dir=${1:?nuget_feed_add DIR FILE ID VERSION} file=${2:?} \
	    id=${3:?} ver=${4:?}
	id=${id,,} ver=${ver,,}
	mkdir -p "$dir/flat/$id/$ver" &&
	cp "$file" "$dir/flat/$id/$ver/$id.$ver.nupkg" &&
	printf '{"versions":["%s"]}\n' "$ver" >"$dir/flat/$id/index.json"
}

# nuget_feed_index DIR BASEURL [NAME]: writes the service index DIR/NAME
# (default index.json) with its PackageBaseAddress at BASEURL, among the
# other resources a real feed lists (so a client must pick the right one).
nuget_feed_index() {
	local dir=${1:?nuget_feed_index DIR BASEURL [NAME]} base=${2:?} \
	    name=${3:-index.json}
	mkdir -p "$dir" &&
	cat >"$dir/$name.tmp" <<JSON &&
{
  "version": "3.0.0",
  "resources": [
    {
      "@id": "${base%/}/query",
      "@type": "SearchQueryService",
      "comment": "not used by a restore"
    },
    {
      "@id": "${base%/}/registration/",
      "@type": ["RegistrationsBaseUrl", "RegistrationsBaseUrl/3.0.0-beta"]
    },
    {
      "@id": "$base",
      "@type": "PackageBaseAddress/3.0.0",
      "comment": "Base URL of where NuGet packages are stored, in the format https://host/flat/{id-lower}/{version-lower}/{id-lower}.{version-lower}.nupkg"
    }
  ],
  "@context": {
    "@vocab": "http://schema.nuget.org/services#",
    "comment": "http://www.w3.org/2000/01/rdf-schema#comment"
  }
}
JSON
	mv "$dir/$name.tmp" "$dir/$name"
}
