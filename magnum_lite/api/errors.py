"""Magnum's error envelope."""


def envelope(status, message, code):
    """The body of an error answer: one element in ``errors``.

    ``title`` is the message up to its first period, ``detail`` all of it.
    ``code`` is "client", "server" or "" (routing-level errors).
    """
    message = str(message)
    title = message.split('.', 1)[0] if '.' in message else message
    return {'errors': [{'request_id': '', 'code': code, 'status': status,
                        'title': title, 'detail': message, 'links': []}]}


def code_for(status):
    return 'server' if status >= 500 else 'client'
