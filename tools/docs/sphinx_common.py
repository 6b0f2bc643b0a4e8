"""Settings shared by doc/source/conf.py and releasenotes/source/conf.py.

openstackdocstheme when it is installed (doc/requirements.txt), Sphinx's
stock theme otherwise, so that a bare Sphinx still builds the same pages.
Nothing here reaches the network: no intersphinx, and the theme reads only
the local git history.
"""


def settings(bug_tag):
    """The common conf.py values, as a dict to merge into its globals;
    ``extensions`` holds the theme's extension, if any."""
    values = {
        'copyright': 'magnum-lite developers',
        'master_doc': 'index',
        'source_suffix': {'.rst': 'restructuredtext'},
        'exclude_patterns': ['_build'],
        'pygments_style': 'native',
        'html_static_path': [],
        'extensions': [],
    }
    try:
        import openstackdocstheme  # noqa: F401
    except ImportError:
        values['html_theme'] = 'alabaster'
        return values
    values.update({
        'extensions': ['openstackdocstheme'],
        'html_theme': 'openstackdocs',
        'openstackdocs_repo_name': 'openstack/magnum-lite',
        'openstackdocs_bug_project': 'magnum-lite',
        'openstackdocs_bug_tag': bug_tag,
        'openstackdocs_auto_name': False,
        'openstackdocs_use_storyboard': False,
        # No link to a PDF build that does not exist.
        'openstackdocs_pdf_link': False,
    })
    return values
