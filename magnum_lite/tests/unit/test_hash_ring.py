import testtools

from magnum_lite.conductor import hash_ring


class TestHashRing(testtools.TestCase):

    def test_every_key_has_one_owner(self):
        hosts = ['a', 'b', 'c']
        keys = [f'k{i}' for i in range(300)]
        owned = [set(hash_ring.owned(hosts, h, keys)) for h in hosts]
        self.assertEqual(set(keys), set().union(*owned))
        self.assertEqual(300, sum(len(o) for o in owned))
        for share in owned:
            self.assertGreater(len(share), 60)

    def test_leaving_host_moves_only_its_keys(self):
        keys = [f'k{i}' for i in range(300)]
        before = {k: hash_ring.owner(['a', 'b', 'c'], k) for k in keys}
        after = {k: hash_ring.owner(['a', 'b'], k) for k in keys}
        moved = {k for k in keys if before[k] != after[k]}
        self.assertEqual({k for k in keys if before[k] == 'c'}, moved)

    def test_no_hosts(self):
        self.assertIsNone(hash_ring.owner([], 'k'))
