"""test_compose.py: docker-compose.yml and deploy/docker/Dockerfile follow the deployment
contract: the file validates (`docker-compose config -q`, no Docker engine needed), every
fangpin container is configured only by the documented FANGPIN_* variables with their default
addresses, publishes its ports and has a health check on /healthz, and the services wait for a
healthy PostgreSQL and for the one-shot `keys` and `migrate` services. Least privilege (issue
11): each service connects as its own role with its own required password, the migrations are
applied by fangpin_owner in `migrate`, and the roles are made by deploy/db/roles.sh, the
postgres container's init script."""
import os
import re
import shutil
import subprocess
import sys
import unittest

SOURCE = os.environ.get('FANGPIN_SOURCE') or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
COMPOSE = shutil.which('docker-compose')

COMMON = {'FANGPIN_PG', 'FANGPIN_MIGRATE', 'FANGPIN_LOG_LEVEL', 'FANGPIN_KEYS_DIR'}
# The lead's contract: each service's variables and their default values.
SERVICES = {
    'intake': {'FANGPIN_INTAKE_ENDPOINT': 'tcp://*:7101', 'FANGPIN_INTAKE_HTTP': '0.0.0.0:8101'},
    'screening': {'FANGPIN_SCREENING_ENDPOINT': 'tcp://*:7102',
                  'FANGPIN_SCREENING_HTTP': '0.0.0.0:8102'},
    'assistance': {'FANGPIN_ASSISTANCE_ENDPOINT': 'tcp://*:7103',
                   'FANGPIN_ASSISTANCE_HTTP': '0.0.0.0:8103'},
    'reporting': {'FANGPIN_REPORTING_ENDPOINT': 'tcp://*:7104', 'FANGPIN_REPORTING_PUB': 'tcp://*:7105',
                  'FANGPIN_REPORTING_HTTP': '0.0.0.0:8104'},
}
# Links between services on the compose network: set, but not published to the host.
LINKS = {
    'intake': {'FANGPIN_INTAKE_LEADS_PUSH': 'tcp://*:7110'},
    'screening': {'FANGPIN_SCREENING_LEADS_PULL': 'tcp://intake:7110',
                  'FANGPIN_SCREENING_IDENTIFIED_PUSH': 'tcp://*:7111'},
    'assistance': {'FANGPIN_ASSISTANCE_IDENTIFIED_PULL': 'tcp://screening:7111'},
}
# What make up sets too: reporting serves report downloads, /events and the dashboard on its HTTP port.
SERVES = {'reporting': {'FANGPIN_REPORTING_HTTP_REPORTS': 'true', 'FANGPIN_REPORTING_SSE': 'true',
                        'FANGPIN_REPORTING_DASH': 'true'}}
CONTRACT = COMMON.union(*SERVICES.values(), *LINKS.values(), *SERVES.values())
KEYS_DIR = '/var/lib/fangpin/keys'


# Every password the file requires, each with a test value of its own.
PASSWORDS = {'FANGPIN_DB_PASSWORD': 'a-long-random-test-password',
             **{f'FANGPIN_DB_{r}_PASSWORD': f'test-password-of-{r.lower()}'
                for r in ('OWNER', 'INTAKE', 'SCREENING', 'ASSISTANCE', 'REPORTING')}}


def compose(*args, password='a-long-random-test-password', without=()):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('COMPOSE_', 'DOCKER_', 'FANGPIN_DB_', 'FANGPIN_LOG_', 'FANGPIN_HTTP_'))}
    env.update({k: v for k, v in PASSWORDS.items() if k not in without})
    env.pop('FANGPIN_DB_PASSWORD')
    if password is not None:
        env['FANGPIN_DB_PASSWORD'] = password
    return subprocess.run([COMPOSE, '-f', os.path.join(SOURCE, 'docker-compose.yml')] + list(args),
                          cwd=SOURCE, env=env, capture_output=True, text=True, timeout=120)


def env_dict(environment):
    if isinstance(environment, dict):
        return {k: '' if v is None else str(v) for k, v in environment.items()}
    return dict(e.split('=', 1) if '=' in e else (e, '') for e in environment or [])


@unittest.skipIf(COMPOSE is None, 'docker-compose is not installed (tools/scripts/deps.sh installs '
                                  'it): cannot validate docker-compose.yml')
class Compose(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        import yaml  # python3-yaml: a dependency of docker-compose itself
        p = compose('config')
        if p.returncode != 0:
            raise AssertionError('docker-compose config failed:\n' + p.stderr)
        cls.config = yaml.safe_load(p.stdout)
        cls.services = cls.config['services']

    def test_config_validates(self):
        p = compose('config', '-q')
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_no_default_database_password(self):
        p = compose('config', '-q', password=None)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn('FANGPIN_DB_PASSWORD', p.stderr)
        self.assertEqual(self.services['postgres']['environment']['POSTGRES_PASSWORD'],
                         'a-long-random-test-password')

    def test_no_default_role_password(self):
        for var in PASSWORDS:
            if var == 'FANGPIN_DB_PASSWORD':
                continue
            with self.subTest(var):
                p = compose('config', '-q', without=(var,))
                self.assertNotEqual(p.returncode, 0)
                self.assertIn(var, p.stderr)

    def test_services_connect_as_their_roles(self):
        """Each service as fangpin_<service>, not the superuser, and never migrating; the
        migrations and grants by fangpin_owner in the one-shot `migrate`; the roles made by
        deploy/db/roles.sh in the postgres container, from the passwords in its environment."""
        for name in SERVICES:
            with self.subTest(name):
                env = env_dict(self.services[name].get('environment'))
                pg = dict(kv.split('=', 1) for kv in env['FANGPIN_PG'].split())
                self.assertEqual((pg['user'], pg['password']),
                                 (f'fangpin_{name}', PASSWORDS[f'FANGPIN_DB_{name.upper()}_PASSWORD']))
                self.assertEqual(env['FANGPIN_MIGRATE'], 'false')
        mig = self.services['migrate']
        self.assertEqual(mig['entrypoint'] + mig['command'], ['fangpinctl', 'migrate'])
        pg = dict(kv.split('=', 1) for kv in env_dict(mig['environment'])['FANGPIN_PG'].split())
        self.assertEqual((pg['host'], pg['dbname'], pg['user'], pg['password']),
                         ('postgres', 'fangpin', 'fangpin_owner', PASSWORDS['FANGPIN_DB_OWNER_PASSWORD']))
        self.assertEqual(mig['depends_on']['postgres']['condition'], 'service_healthy')
        # the data key, for migration 018 on an older database: read-only from the keys volume
        self.assertEqual(mig['depends_on']['keys']['condition'], 'service_completed_successfully')
        self.assertEqual(env_dict(mig['environment'])['FANGPIN_KEYS_DIR'], KEYS_DIR)
        self.assertIn(f'keys:{KEYS_DIR}:ro', [v if isinstance(v, str) else f"{v['source']}:{v['target']}:ro"
                                               if v.get('read_only') else f"{v['source']}:{v['target']}"
                                               for v in mig['volumes']])
        db = self.services['postgres']
        mounts = [v if isinstance(v, str) else f"{v['source']}:{v['target']}" for v in db['volumes']]
        init = [m for m in mounts if ':/docker-entrypoint-initdb.d/' in m]
        self.assertEqual(len(init), 1, mounts)
        self.assertEqual(os.path.realpath(init[0].split(':')[0]),
                         os.path.realpath(os.path.join(SOURCE, 'deploy', 'db', 'roles.sh')))
        db_env = env_dict(db['environment'])
        self.assertEqual(db_env['POSTGRES_USER'], 'postgres')
        for var, value in PASSWORDS.items():
            self.assertEqual(db_env['POSTGRES_PASSWORD' if var == 'FANGPIN_DB_PASSWORD' else var], value)
        self.assertTrue(os.access(os.path.join(SOURCE, 'deploy', 'db', 'roles.sh'), os.X_OK))

    def test_services_present(self):
        self.assertEqual(set(self.services), set(SERVICES) | {'postgres', 'keys', 'migrate'})
        self.assertEqual(self.services['postgres']['image'].split(':')[0], 'postgres')
        self.assertEqual(self.services['postgres']['image'].split(':')[1].split('.')[0], '15')

    def test_environment_is_the_contract(self):
        for name, own in SERVICES.items():
            with self.subTest(name):
                env = env_dict(self.services[name].get('environment'))
                self.assertLessEqual(set(env), CONTRACT, 'variables outside the contract')
                links = LINKS.get(name, {})
                self.assertEqual(set(env), COMMON | set(own) | set(links) | set(SERVES.get(name, {})))
                for var, default in list(own.items()) + list(links.items()):
                    self.assertEqual(env[var], default, var)
                self.assertEqual(env['FANGPIN_KEYS_DIR'], KEYS_DIR)
                self.assertIn(env['FANGPIN_LOG_LEVEL'], ('debug', 'info', 'warn', 'error'))
                pg = dict(kv.split('=', 1) for kv in env['FANGPIN_PG'].split())
                self.assertEqual((pg.get('host'), pg.get('port'), pg.get('dbname'), pg.get('user')),
                                 ('postgres', '5432', 'fangpin', f'fangpin_{name}'))
                self.assertEqual(pg.get('password'), PASSWORDS[f'FANGPIN_DB_{name.upper()}_PASSWORD'])
        keys_env = env_dict(self.services['keys'].get('environment'))
        self.assertLessEqual(set(keys_env), CONTRACT)

    def test_healthchecks(self):
        for name in list(SERVICES) + ['postgres']:
            with self.subTest(name):
                hc = self.services[name].get('healthcheck')
                self.assertTrue(hc and hc.get('test'), name + ' has no healthcheck')
                test = ' '.join(hc['test']) if isinstance(hc['test'], list) else hc['test']
                if name == 'postgres':
                    self.assertIn('pg_isready', test)
                else:
                    port = SERVICES[name]['FANGPIN_%s_HTTP' % name.upper()].rsplit(':', 1)[1]
                    self.assertIn('curl -fsS http://127.0.0.1:%s/healthz' % port, test)

    def test_ports_published(self):
        # ZeroMQ (CURVE) on every interface, HTTP on 127.0.0.1 unless FANGPIN_HTTP_PUBLISH says
        for name, own in SERVICES.items():
            with self.subTest(name):
                published = {}
                for p in self.services[name].get('ports', []):
                    if isinstance(p, dict):
                        published[(int(p['published']), int(p['target']))] = p.get('host_ip', '')
                    else:
                        host, _, target = str(p).split('/')[0].rpartition(':')
                        ip, _, port = host.rpartition(':')
                        published[(int(port), int(target))] = ip
                for var, value in own.items():
                    port = int(value.rsplit(':', 1)[1])
                    self.assertIn((port, port), published, value)
                    want = '127.0.0.1' if var.endswith('_HTTP') else ''
                    self.assertIn(published[(port, port)], (want,) if want else ('', '0.0.0.0'), var)

    def test_build_and_start_order(self):
        for name in SERVICES:
            with self.subTest(name):
                svc = self.services[name]
                build = svc['build']
                self.assertEqual(build['dockerfile'], 'deploy/docker/Dockerfile')
                self.assertEqual(build['args']['SERVICE'], name)
                deps = svc['depends_on']
                self.assertEqual(deps['postgres']['condition'], 'service_healthy')
                self.assertEqual(deps['keys']['condition'], 'service_completed_successfully')
                self.assertEqual(deps['migrate']['condition'], 'service_completed_successfully')
                targets = [v['target'] if isinstance(v, dict) else str(v).split(':')[1]
                           for v in svc.get('volumes', [])]
                self.assertIn(KEYS_DIR, targets)
        keys = self.services['keys']
        command = ' '.join(keys['command']) if isinstance(keys['command'], list) else keys['command']
        self.assertIn('fangpinctl keys make --dir %s intake screening assistance reporting' % KEYS_DIR,
                      command)
        self.assertIn('pgdata', self.config.get('volumes', {}))
        self.assertIn('keys', self.config.get('volumes', {}))

    def test_reporting_serves_downloads_and_events(self):
        env = env_dict(self.services['reporting'].get('environment'))
        for k, v in SERVES['reporting'].items():
            self.assertEqual(env.get(k), v, k)

    def test_stop_grace_longer_than_the_services_own(self):
        """docker stops a container with SIGKILL after its grace period: it must outlast
        FANGPIN_SHUTDOWN_GRACE_MS (10 s by default), in which a service finishes its requests."""
        for name in SERVICES:
            grace = self.services[name].get('stop_grace_period', '10s')
            m = re.fullmatch(r'(\d+)(ms|s|m)', str(grace))
            self.assertIsNotNone(m, f'{name}: stop_grace_period {grace!r}')
            ms = int(m.group(1)) * {'ms': 1, 's': 1000, 'm': 60000}[m.group(2)]
            self.assertGreater(ms, 10000, name)

    def test_dockerfile(self):
        with open(os.path.join(SOURCE, 'deploy', 'docker', 'Dockerfile')) as f:
            text = f.read()
        froms = re.findall(r'(?im)^FROM\s+(\S+)', text)
        self.assertEqual(froms, ['debian:12', 'debian:12-slim'])
        self.assertRegex(text, r'(?m)^ARG SERVICE')
        self.assertRegex(text, r'(?m)^USER fangpin\s*$')
        self.assertRegex(text, r'(?m)^ENTRYPOINT \[')
        self.assertIn('fangpinctl', text)
        runtime = text[text.index('FROM debian:12-slim'):]
        # libzip4 and libexpat1: fangpinctl (in every image) reads .xlsx department files
        for lib in ('libzmq5', 'libuv1', 'libpq5', 'libprotobuf-c1', 'libhttp-parser2.9', 'zlib1g',
                    'libxlsxwriter4', 'libzip4', 'libexpat1', 'ca-certificates', 'curl'):
            self.assertIn(lib, runtime)
        self.assertNotIn('-dev', runtime, 'development packages in the runtime stage')
        # the libraries' layer comes before ARG SERVICE, so the four images share it
        self.assertLess(runtime.index('apt-get install'), re.search(r'(?m)^ARG SERVICE', runtime).start())
        # only the service binaries and fangpinctl are built: no benchmark programs in the images
        self.assertRegex(text, r'--target fangpin-intake fangpin-screening fangpin-assistance\s+(\\\s+)?fangpin-reporting fangpinctl')


if __name__ == '__main__':
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
