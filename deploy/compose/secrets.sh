#!/bin/sh
# Creates the secrets of deploy/compose.yaml once, under deploy/compose/secrets/ (or the
# directory given as the first argument). Run it from the repository root:
#
#   sh deploy/compose/secrets.sh
#
#   vanguard.env     for `docker compose --env-file`: PostgreSQL's, MinIO's and Meilisearch's
#                    passwords, the first admin's password, the ID number encryption key, the
#                    ledger key, the service key and the services' secrets derived from it
#                    (`org service-secret NAME`)
#   jwt_ed25519.pem  org's token signing key (`org keygen`), mounted read-only into org
#
# It never overwrites either file: the ID key decrypts the stored ID numbers and the ledger key
# anchors every member's study-hour ledger, so new ones would lose that data. It needs Docker: it
# builds the org image (deploy/Dockerfile) and runs org's keygen and service-secret in it.
set -eu

dir=${1:-deploy/compose/secrets}
env_file=$dir/vanguard.env
key_file=$dir/jwt_ed25519.pem
umask 077
mkdir -p "$dir"
chmod 700 "$dir"

# hex N prints N random bytes as hex digits.
hex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

docker build --build-arg SERVICE=org -t vanguard/org -f deploy/Dockerfile .

if [ -s "$key_file" ]; then
	echo "kept $key_file"
else
	docker run --rm vanguard/org keygen >"$key_file.new"
	mv "$key_file.new" "$key_file"
	echo "wrote $key_file"
fi
# org runs as uid 65532, not this file's owner, and compose bind-mounts the file as it is; the
# directory stays closed to other users of this machine.
chmod 444 "$key_file"

if [ -s "$env_file" ]; then
	echo "kept $env_file"
	exit 0
fi
service_key=$(hex 32)
{
	echo "# deploy/compose.yaml's secrets, written by deploy/compose/secrets.sh. Keep VANGUARD_ID_KEY"
	echo "# and VANGUARD_LEDGER_KEY for as long as the data lives: without them it cannot be read."
	echo "POSTGRES_PASSWORD=$(hex 16)"
	echo "MINIO_ROOT_PASSWORD=$(hex 16)"
	echo "MEILI_MASTER_KEY=$(hex 24)"
	echo "VANGUARD_ADMIN_PASSWORD=admin-$(hex 6)-1"
	echo "VANGUARD_ID_KEY=$(hex 32)"
	echo "VANGUARD_LEDGER_KEY=$(hex 32)"
	echo "VANGUARD_SERVICE_KEY=$service_key"
	for s in quiz studyhour growth search; do
		secret=$(VANGUARD_SERVICE_KEY=$service_key docker run --rm -e VANGUARD_SERVICE_KEY vanguard/org service-secret "$s")
		echo "VANGUARD_$(echo "$s" | tr '[:lower:]' '[:upper:]')_SERVICE_SECRET=$secret"
	done
} >"$env_file.new"
mv "$env_file.new" "$env_file"
echo "wrote $env_file (the admin account's first password: VANGUARD_ADMIN_PASSWORD in it)"
